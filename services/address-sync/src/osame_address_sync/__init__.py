"""Address-sync service (宛名管理 + 団体内統合宛名)."""

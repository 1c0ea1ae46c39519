"""Message models, one module per owning service (or external system)."""

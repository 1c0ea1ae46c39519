"""Intermediate-server gateway (中間サーバ): lawful, recorded 情報照会."""

"""Delivery: compose digest emails, send them by SMTP or into an outbox, and keep the ledger."""

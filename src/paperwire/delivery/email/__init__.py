"""Email: digests composed into messages (message, compose), sent over SMTP (smtp) or written
to an outbox of .eml files (outbox); the channel (channel.EmailChannel) ties them together."""

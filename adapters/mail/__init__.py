"""Mail: the SMTP and local-outbox transports, and the background delivery that retries them."""

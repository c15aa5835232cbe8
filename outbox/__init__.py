"""The outbox: one engine for every outgoing message, below the apps that send them (see the README's
architecture section). Nothing here imports `trusts` or `notices`: their tables inherit
outbox.models.OutboxMessage and register their recovery with outbox.registry."""

"""Channel adapters: how tickets arrive (support mailbox, in-app messenger) and how the
agent's reply goes back the way the ticket came.

Adapters speak to the outside world only. Models go in and out (``InboundMail``,
``InboundMessage``, ``MailReply``, ``OutboundReply``); the intake and reply operations
decide what becomes a ticket, who the sender is, what is audited and what is throttled.
Nothing here touches the database or imports the HTTP layer (import-linter keeps it so).
"""

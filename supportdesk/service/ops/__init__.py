"""The operations: what the desk can do, with the policy, approvals, limits, idempotency and
the audit entry applied whatever identity provider is behind them. Plain values in, wire
models out; no web framework (`service.http` calls these)."""

"""A second, test-only identity provider, and the operations both providers pass."""

"""Code every Parley process shares: config, logging, errors, event schemas,
metrics, the asyncio Nameko RPC client and the Nameko dependency providers."""

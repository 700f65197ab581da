"""HTTP routers, one module per surface (sync, queue, storage, proxy, models, health, metrics)."""

"""The fitting core: data, models, losses, optimisers, training loop, exact solve, surfaces (no Qt)."""

"""Offline reinforcement learning used by PGS: conservative SAC (CQL)."""
from .cql import CQLConfig, ConservativeSAC, TanhGaussianPolicy, TwinMLP, checkpoint_epochs, train_cql

__all__ = ["CQLConfig", "ConservativeSAC", "TanhGaussianPolicy", "TwinMLP", "checkpoint_epochs", "train_cql"]

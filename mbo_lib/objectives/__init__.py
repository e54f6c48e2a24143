"""Training objectives: regression terms here; COMs, IGNITE and MATCH-OPT terms in their own modules."""
from .coms import ConservativeTerm, LagrangeMultiplierHook, adversarial_particles
from .ignite import IgniteConfig, IgniteHook, ignite2_hook, ignite_hook, norm_gradient, sharpness
from .regression import LOSSES, gaussian_nll, mse
from .regularizers import REGULARIZERS, register_regularizer, regularizer_factory, resolved_regularizer

__all__ = ["LOSSES", "gaussian_nll", "mse", "IgniteConfig", "IgniteHook", "ignite_hook", "ignite2_hook", "norm_gradient",
           "sharpness", "REGULARIZERS", "register_regularizer", "regularizer_factory", "resolved_regularizer", "ConservativeTerm", "LagrangeMultiplierHook",
           "adversarial_particles"]

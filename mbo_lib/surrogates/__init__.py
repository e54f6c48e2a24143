"""Surrogate models and the shared trainer."""
from .ensemble import Ensemble, ensemble_objective, train_ensemble
from .models import MLP, GaussianMLP, build_surrogate, initialize_, keras_init_
from .trainer import TrainConfig, TrainingHook, TrainingLog, shuffled_minibatches, train_surrogate

__all__ = ["Ensemble", "ensemble_objective", "train_ensemble", "MLP", "GaussianMLP", "build_surrogate", "initialize_",
           "keras_init_", "TrainConfig", "TrainingHook", "TrainingLog",
           "shuffled_minibatches", "train_surrogate"]

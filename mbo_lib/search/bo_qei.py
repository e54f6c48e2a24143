"""Batch Bayesian optimization with q-Expected Improvement against a black box (design-baselines' BO-qEI loop).

Each iteration (design-baselines ``bo_qei/__init__.py``, BoTorch):

1. fit a GP to every point observed so far (``fit_gpytorch_mll``; known observation noise ``noise_se^2``);
2. maximize qEI (or qLogEI) over ``q`` joint candidates in the box ``bounds`` (``optimize_acqf`` with
   ``num_restarts`` / ``raw_samples`` / ``batch_limit`` / ``maxiter``; ``mc_samples`` Sobol QMC samples;
   ``best_f`` = the best observation so far);
3. observe the black box at the candidates, plus Gaussian noise of std ``noise_se`` (as design-baselines).

The GP is BoTorch's ``SingleTaskGP`` with fixed noise, inputs scaled to the unit cube by ``Normalize(bounds)`` and
outcomes standardized (BoTorch's recommended set-up; design-baselines' ``FixedNoiseGP`` of an older BoTorch had no
transforms). Each round's fit starts from the previous round's kernel and mean hyperparameters, as design-baselines
warm-starts from the previous ``state_dict`` (the outcome standardization is recomputed on the new data). Warnings of the fit and of the acquisition optimizer are
collected (``info["warnings"]``) instead of printed; a fit that fails keeps the GP's initial hyperparameters and an
acquisition optimization that raises ``RuntimeError`` ends the loop early, as design-baselines does.

All tensors are float64 on ``device``.
"""
from __future__ import annotations

import warnings
from typing import Callable

import torch

ACQUISITIONS = ("qEI", "qLogEI")


def bo_qei_search(black_box: Callable[[torch.Tensor], torch.Tensor], train_x: torch.Tensor, train_y: torch.Tensor,
                  bounds: torch.Tensor, *, iterations: int, batch_size: int, noise_se: float, num_restarts: int,
                  raw_samples: int, batch_limit: int, maxiter: int, mc_samples: int, seed: int,
                  acquisition: str = "qEI") -> tuple[torch.Tensor, torch.Tensor, dict]:
    """Run the BO loop.

    Args:
        black_box: ``q x D -> q`` values to maximize (here the surrogate ensemble's mean prediction).
        train_x: ``n0 x D`` initial points; train_y: ``n0 x 1`` their observed values.
        bounds: ``2 x D`` box (lower, upper) for the candidates.
        iterations, batch_size: number of BO rounds and ``q``.
        noise_se: std of the observation noise (known to the GP and added to the black box's values).
        num_restarts, raw_samples, batch_limit, maxiter: ``optimize_acqf`` settings.
        mc_samples: QMC samples of the acquisition function.
        seed: seeds the QMC sampler, the restarts' initial conditions and the observation noise.
        acquisition: ``"qEI"`` (design-baselines) or ``"qLogEI"`` (BoTorch's numerically robust variant).

    Returns:
        ``(all_x, all_y, info)``: ``(n0 + k q) x D`` points and ``(n0 + k q) x 1`` observations (initial points
        first, then each round's batch), and ``info`` with ``rounds`` completed and collected ``warnings``.
    """
    from botorch.acquisition.logei import qLogExpectedImprovement
    from botorch.acquisition.monte_carlo import qExpectedImprovement
    from botorch.exceptions.errors import ModelFittingError
    from botorch.fit import fit_gpytorch_mll
    from botorch.models import SingleTaskGP
    from botorch.models.transforms.input import Normalize
    from botorch.models.transforms.outcome import Standardize
    from botorch.optim import optimize_acqf
    from botorch.sampling.normal import SobolQMCNormalSampler
    from gpytorch.mlls import ExactMarginalLogLikelihood

    train_x, train_y, bounds = train_x.double(), train_y.double(), bounds.double()
    noise = torch.Generator(device=train_x.device).manual_seed(seed)
    info = {"rounds": 0, "warnings": [], "fit_failures": 0, "stopped_early": None}
    previous = None  # the last fit's kernel and mean hyperparameters: the next fit starts there (design-baselines)
    for it in range(iterations):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model = SingleTaskGP(train_x, train_y, train_Yvar=torch.full_like(train_y, noise_se ** 2),
                                 input_transform=Normalize(train_x.shape[-1], bounds=bounds),
                                 outcome_transform=Standardize(m=1))
            if previous is not None:
                model.covar_module.load_state_dict(previous[0])
                model.mean_module.load_state_dict(previous[1])
            try:
                fit_gpytorch_mll(ExactMarginalLogLikelihood(model.likelihood, model))
            except ModelFittingError:
                info["fit_failures"] += 1
            previous = (model.covar_module.state_dict(), model.mean_module.state_dict())
            sampler = SobolQMCNormalSampler(sample_shape=torch.Size([mc_samples]), seed=seed * 1000 + it)
            acq_class = qExpectedImprovement if acquisition == "qEI" else qLogExpectedImprovement
            acq = acq_class(model=model, best_f=train_y.max(), sampler=sampler)
            torch.manual_seed(seed * 1000 + it)  # optimize_acqf draws its raw samples from torch's global RNG
            try:
                candidates, _ = optimize_acqf(acq, bounds=bounds, q=batch_size, num_restarts=num_restarts,
                                              raw_samples=raw_samples,
                                              options={"batch_limit": batch_limit, "maxiter": maxiter})
            except RuntimeError as exc:  # design-baselines stops the loop here too
                info["stopped_early"] = f"round {it + 1}: {type(exc).__name__}: {exc}"[:300]
                break
        info["warnings"] += sorted({f"{w.category.__name__}: {str(w.message)[:120]}" for w in caught})
        candidates = candidates.detach()
        with torch.no_grad():
            values = black_box(candidates).double().reshape(-1, 1)
        observed = values + noise_se * torch.randn(values.shape, generator=noise, device=values.device,
                                                   dtype=values.dtype)
        train_x, train_y = torch.cat([train_x, candidates]), torch.cat([train_y, observed])
        info["rounds"] = it + 1
    info["warnings"] = sorted(set(info["warnings"]))
    return train_x, train_y, info

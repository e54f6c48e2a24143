import numpy as np
import pytest
import torch

from mbo_lib.errors import InvalidInputError
from mbo_lib.experiments import RunSpec, execute
from mbo_lib.methods import get_method
from mbo_lib.methods.base import MethodOutput
from mbo_lib.surrogates.trainer import TrainingHook

SMALL = {"dim": 3, "num_samples": 400}  # 200 data designs, so the top 20% hold 40 >= T + 1 = 11


def test_pgs_end_to_end_on_tfbind8_latent_space():
    record, out = execute(RunSpec("TFBind8-Exact-v0", "PGS", "smoke", 0), device="cpu", progress=False)
    assert out.designs.shape == (128, 8) and np.issubdtype(out.designs.dtype, np.integer)
    assert out.designs.min() >= 0 and out.designs.max() < 4
    ex = record["extras"]
    # standardized latents: unit-scale space, so the continuous/logits factor 0.05
    assert ex["space"] == "latent" and ex["dim"] == 8 and ex["search_scale"] == pytest.approx(0.05 * np.sqrt(8))
    assert ex["vae"]["standardize"] is True and len(ex["vae"]["raw_std"]) == 8
    # 2 percentiles x checkpoints after RL epochs 1 and 2 (10 and 15 steps), all scored by the runner
    assert [(c["top_p"], c["rl_steps"]) for c in ex["checkpoints"]] == [(20, 10), (20, 15), (40, 10), (40, 15)]
    assert [c["step"] for c in record["curve"]] == [0, 1, 2, 3]
    chosen = [c for c in ex["checkpoints"] if c["selected"]]
    assert len(chosen) == 1 and chosen[0]["osel_score"] == max(c["osel_score"] for c in ex["checkpoints"])
    np.testing.assert_array_equal(out.designs, out.steps[chosen[0]["key"]])
    assert record["result"]["norm_p100"] == pytest.approx(record["curve"][chosen[0]["key"]]["norm_p100"])
    assert ex["rl"]["20"]["num_top"] >= 0.2 * 32898 and ex["rl"]["20"]["rl_steps_per_second"] > 0
    assert out.candidate_inputs.shape == (128, 8) and record["surrogate_grad_norm_on_candidates"] > 0


def test_pgs_latent_search_space_is_standardized_and_decodes_like_raw_latents():
    from mbo_lib.experiments import load_task

    task = load_task("TFBind8-Exact-v0")
    method = get_method("PGS")
    outs = {}
    for standardize in (True, False):  # 0 search steps: the candidates are the top-128 in each search space
        config = method.config("smoke", {"top_ps": [20], "rl_epochs": 1, "search_steps": 0,
                                         "latent_standardize": standardize})
        outs[standardize] = method.run(task, config, seed=0, device=torch.device("cpu"), progress=False)
    z, raw = outs[True].candidate_inputs, outs[False].candidate_inputs  # same seed, same VAE
    s = np.asarray(outs[True].extras["vae"]["raw_std"], np.float32)
    np.testing.assert_allclose(s, outs[False].extras["vae"]["raw_std"])
    assert s.max() < 0.5  # the raw posterior means are narrow, the reason for standardizing
    # raw = z * s + m with one m per latent dim (the data's latent mean)
    m = raw - z * s
    np.testing.assert_allclose(m, np.broadcast_to(m[:1], m.shape), atol=1e-5)
    assert 0.3 < z.std(0).mean() < 3 and raw.std(0).mean() < 0.5  # unit scale vs raw scale on the top-128
    np.testing.assert_array_equal(outs[True].designs, outs[False].designs)  # the decode undoes the standardization


def test_official_raw_latents_use_the_official_scale():
    _, out = execute(RunSpec("TFBind8-Exact-v0", "PGS", "smoke", 0,
                             overrides={"latent_standardize": False, "top_ps": [20], "rl_epochs": 1}),
                     device="cpu", progress=False)
    assert out.extras["search_scale"] == pytest.approx(2.0 * np.sqrt(8)) and out.extras["vae"]["standardize"] is False


def test_pgs_logits_space_on_tfbind8():
    _, out = execute(RunSpec("TFBind8-Exact-v0", "PGS", "smoke", 0, overrides={"space": "logits"}), device="cpu",
                     progress=False)
    assert out.designs.shape == (128, 8, 3) and np.isfinite(out.designs).all()
    assert out.candidate_inputs.shape == (128, 24)


def test_pgs_on_a_synthetic_task_is_deterministic():
    spec = RunSpec("Ackley-Synthetic-v0", "PGS", "smoke", 1, task_kwargs=SMALL,
                   overrides={"rl_epochs": 4, "search_steps": 20})
    rec1, out = execute(spec, device="cpu", progress=False)
    rec2, _ = execute(spec, device="cpu", progress=False)
    assert out.designs.shape == (128, 3) and np.isfinite(out.designs).all()
    assert rec1["result"]["scores"] == rec2["result"]["scores"]
    assert [c["osel_score"] for c in rec1["extras"]["checkpoints"]] == [c["osel_score"] for c in rec2["extras"]["checkpoints"]]
    assert rec1["extras"]["search_scale"] == pytest.approx(0.05 * np.sqrt(3))
    from mbo_lib.experiments import load_task

    task = load_task(spec.task, SMALL)
    start = task.x[np.argsort(-task.y[:, 0], kind="stable")[:128]]
    assert not np.allclose(out.designs, start)  # the policy-guided search moved the top-128


def test_surrogate_training_receives_the_runner_hooks():
    calls = []

    class Counter(TrainingHook):
        def after_step(self, model, x, y):
            calls.append(x.shape[0])

    from mbo_lib.experiments import load_task

    method = get_method("PGS")
    out = method.run(load_task("Ackley-Synthetic-v0", SMALL), method.config("smoke"), seed=0, device=torch.device("cpu"), progress=False,
                     hooks=lambda: [Counter()])
    assert isinstance(out, MethodOutput) and len(calls) == 2  # 180 training rows / batch 128 = 2 steps, 1 epoch


@pytest.mark.parametrize("overrides,match", [
    ({"space": "onehot"}, "space"),
    ({"osel_embedding": "vpn"}, "osel_embedding"),
    ({"top_ps": []}, "top_ps"),
    ({"top_ps": [20, 20]}, "top_ps"),
    ({"top_ps": [0]}, "out of range"),
    ({"search_scale": -1.0}, "search_scale"),
    ({"action_clip": 1.5}, "out of range"),
    ({"td_broadcast": "yes"}, "td_broadcast"),
    ({"latent_standardize": 1}, "latent_standardize"),
    ({"rl_epochs": 0}, "out of range"),
])
def test_bad_hyperparameters_raise(overrides, match):
    with pytest.raises(InvalidInputError, match=match):
        execute(RunSpec("Ackley-Synthetic-v0", "PGS", "smoke", 0, task_kwargs=SMALL, overrides=overrides), progress=False)


def test_too_few_top_designs_for_a_trajectory_raise():
    with pytest.raises(InvalidInputError, match="T \\+ 1"):
        execute(RunSpec("Ackley-Synthetic-v0", "PGS", "smoke", 0, task_kwargs=SMALL, overrides={"top_ps": [1]}),
                progress=False)


def test_paper_profile_is_the_official_setting():
    hp = get_method("PGS").hyperparameters("paper")
    assert hp["surrogate_hidden"] == [2048, 2048] and hp["surrogate_epochs"] == 50 and hp["val_fraction"] == 0.1
    assert (hp["vae_hidden"], hp["vae_latent"], hp["vae_beta"], hp["vae_epochs"]) == (64, 32, 1.0, 50)
    assert (hp["num_trajectories"], hp["traj_length"], hp["action_divisor"], hp["action_clip"]) == (20000, 50, 10.0, 0.999)
    assert (hp["rl_hidden"], hp["rl_batch_size"], hp["rl_epochs"], hp["rl_steps_per_epoch"]) == ([256, 256], 256, 401, 1000)
    assert (hp["discount"], hp["rl_lr"], hp["tau"], hp["min_q_weight"], hp["cql_num_actions"]) == (0.99, 3e-4, 5e-3, 5.0, 10)
    assert (hp["checkpoint_every"], hp["search_steps"], hp["num_candidates"], hp["osel_k"]) == (50, 50, 128, 10)
    assert hp["top_ps"] == [10, 20, 30, 40] and hp["space"] == "latent"
    assert hp["latent_standardize"] is True and hp["search_scale"] is None  # our deviation; False = official


def test_constant_step_ablation_runs_and_differs_from_the_learned_policy():
    """Claim P3's ablation: the same run with alpha(x) = 1 (step = scale * grad) instead of the learned policy."""
    from mbo_lib.design_space import DesignSpace
    from mbo_lib.experiments import load_task
    from mbo_lib.search.policy_guided import policy_guided_search

    task = load_task("Ackley-Synthetic-v0", SMALL)
    method = get_method("PGS")
    outs = {policy: method.run(task, method.config("smoke", {"policy": policy}), seed=0,
                               device=torch.device("cpu"), progress=False) for policy in ("learned", "constant")}
    learned, constant = outs["learned"], outs["constant"]
    assert len(learned.extras["checkpoints"]) > 1 and len(constant.extras["checkpoints"]) == 1
    assert constant.extras["checkpoints"][0]["selected"] and set(constant.steps) == {0}
    assert constant.extras["search_scale"] == learned.extras["search_scale"]  # the same step factor
    assert not np.allclose(constant.designs, learned.designs)
    # the constant run is gradient ascent with step = scale on its surrogate from the top-128 designs
    space = DesignSpace(task, normalize_x=True, normalize_y=True)
    x = space.encode(task.x)
    start = torch.as_tensor(x[np.argsort(-task.y[:, 0], kind="stable")[:128]])
    expected, _ = policy_guided_search(torch.ones_like, constant.surrogate, start, constant.extras["search_scale"],
                                       method.config("smoke").search_steps)
    np.testing.assert_allclose(constant.candidate_inputs, expected.numpy(), rtol=1e-6, atol=1e-6)
    assert not np.allclose(expected.numpy(), start.numpy())  # the search moved the designs
    with pytest.raises(InvalidInputError, match="policy='greedy' is not one of the choices"):
        method.config("smoke", {"policy": "greedy"})

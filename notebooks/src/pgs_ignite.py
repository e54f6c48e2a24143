# %% [markdown]
# # PGS with an IGNITE-regularized surrogate
#
# A cross-paper experiment (not in either paper): IGNITE (Dao et al., NeurIPS 2024) constrains the norm of the
# surrogate's parameter gradient with BDMM during training; PGS (Chemingui et al., AAAI 2024) follows the
# surrogate's input gradient with step sizes learned by offline RL. Does a smoother surrogate help PGS? The only
# change is `RunSpec(..., regularizer={"name": "ignite"})`: the shared trainer adds IGNITE to PGS's surrogate
# (the VAE, the trajectories' rewards from the data, CQL and OSEL are unchanged; the trajectories' actions and the
# search use the regularized surrogate's gradients).
#
# **Protocol**: 128 candidates per run (OSEL's choice), oracle normalized 100th / 50th percentile with the
# full-dataset bounds; mean ± population std over the seeds present both without and with IGNITE (n per cell;
# quick-profile PGS runs cost minutes each on one CPU core, so not every seed may be present); gain =
# (with − without) / without × 100 of the means, with its paired 95% interval (t-interval of the per-seed
# differences) and a verdict ("improves" / "worsens" when the interval excludes 0, else "no detectable change";
# "—" below 2 paired seeds). IGNITE's defaults (epsilon 0.1, eta_lambda 1e-3).

# %%
from IPython.display import Markdown, display

import mbo_lib as mbo  # noqa: F401
import mbo_lib.experiments as ex
import mbo_lib.reporting as rep
import mbo_lib.reporting.ignite as ig
import mbo_lib.reporting.pgs as pgsrep

# %% tags=["parameters"]
profile: str = "quick"  # smoke | quick | paper
seeds: list = [0, 1, 2, 3]  # one run per seed, with and without IGNITE
tasks: list = ["TFBind8-Exact-v0", "TFBind10-Exact-v0"]  # design-bench ids
device: str = "auto"  # auto | cpu | cuda
compute_missing: bool = True  # False: only load existing records; missing cells show "—"

# %%
# NBVAL_IGNORE_OUTPUT
dev = rep.setup(profile, device)
seeds = rep.seeds_for(profile, seeds)  # smoke (CI) keeps two seeds
if profile == "smoke":  # CI-sized: one task
    tasks = tasks[:1]
runnable, not_run = rep.split_available(tasks)
specs = ex.grid(runnable, ["PGS"], seeds, profile) + ex.grid(runnable, ["PGS"], seeds, profile,
                                                             regularizer={"name": "ignite"})
records = rep.load_records(specs, compute_missing, dev)
frame = rep.records_frame(records)
print(f"{len(records)} of {len(specs)} runs present; not run here: {not_run or 'none'}")

# %% [markdown]
# ## Gain of IGNITE on PGS, 100th and 50th percentile

# %% tags=["report"]
# NBVAL_CHECK_OUTPUT
gains100 = ig.gains(frame, ["PGS"], tasks, percentile=100, variant="ignite")
gains50 = ig.gains(frame, ["PGS"], tasks, percentile=50, variant="ignite")
display(ig.gain_table(gains100, not_run).assign(percentile=100))
ig.gain_table(gains50, not_run).assign(percentile=50)

# %%
display(Markdown(ig.describe_gains({100: gains100, 50: gains50})))

# %% [markdown]
# ## Per seed, and what OSEL picked
# The same seed gives the same VAE and data split with and without IGNITE, so the per-seed differences are paired.

# %% tags=["report"]
# NBVAL_CHECK_OUTPUT
ckpt = rep.records_frame(records, kind="checkpoints", short_names=True)
table = (ckpt[ckpt.selected][["task", "seed", "regularizer", "top_p", "rl_steps", "norm_p100", "norm_p50"]]
         .replace({"regularizer": {"": "none"}}).sort_values(["task", "seed", "regularizer"]).round(3))
table.reset_index(drop=True)

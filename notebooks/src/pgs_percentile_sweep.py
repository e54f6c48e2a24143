# %% [markdown]
# # PGS: the top-p percentile sweep and OSEL's choice
#
# Chemingui et al. (AAAI 2024) synthesize the RL trajectories from the top-p% of the data and study p in
# {10, 20, 30, 40} (percentile-sweep figure); since p and the RL checkpoint cannot be chosen with the oracle
# offline, OSEL scores each checkpoint's candidates with a k-NN regressor (k = 10) fitted on the offline data in a
# learned embedding and keeps the one with the highest max prediction. One of our PGS runs does the whole sweep:
# it trains CQL for every p, runs the policy-guided search at every checkpoint, and stores all those candidate sets
# (oracle-scored by the runner, never seen by the method) plus OSEL's scores and pick. This notebook reads them.
#
# **Protocol**: per (p, checkpoint) 128 candidates, oracle normalized 100th (and 50th) percentile with the
# full-dataset bounds; mean ± population std [95% interval of the mean] over `seeds` (n per cell). OSEL score: max
# over the 128 candidates of the k-NN prediction of z-scored y (our embedding: the surrogate's last hidden layer, not
# the paper's value-prediction network). Regret = oracle score of the oracle-best (p, checkpoint) of the run minus
# that of OSEL's pick (same seed). Profile `quick`: checkpoints after 500, 750 and 1,000 CQL steps (paper: every
# 50,000 steps up to 400,000), so the checkpoint axis here is short.

# %%
import matplotlib.pyplot as plt
from IPython.display import Markdown, display

import mbo_lib as mbo  # noqa: F401
import mbo_lib.experiments as ex
import mbo_lib.reporting as rep
import mbo_lib.reporting.pgs as pgsrep
from mbo_lib.tasks import SHORT_NAMES

# %% tags=["parameters"]
profile: str = "quick"  # smoke | quick | paper
seeds: list = [0, 1, 2, 3]  # one run per seed (each run sweeps every p)
tasks: list = ["TFBind8-Exact-v0", "TFBind10-Exact-v0", "Ackley-Synthetic-v0"]  # design-bench ids
device: str = "auto"  # auto | cpu | cuda
compute_missing: bool = True  # False: only load existing records; missing cells show "—"

# %%
# NBVAL_IGNORE_OUTPUT
dev = rep.setup(profile, device)
seeds = rep.seeds_for(profile, seeds)  # smoke (CI) keeps two seeds
if profile == "smoke":  # CI-sized: one task
    tasks = tasks[:1]
runnable, not_run = rep.split_available(tasks)
records = rep.load_records(ex.grid(runnable, ["PGS"], seeds, profile), compute_missing, dev)
ckpt = rep.records_frame(records, kind="checkpoints", short_names=True)
print(f"{len(records)} PGS runs, {len(ckpt)} (run, p, checkpoint) cells; not run here: {not_run or 'none'}")

# %% [markdown]
# ## Per p (the fully trained policy: last checkpoint), 100th percentile
# "OSEL picks": in how many seeds OSEL chose any checkpoint of this p.

# %% tags=["report"]
# NBVAL_CHECK_OUTPUT
pgsrep.sweep_table(ckpt, percentile=100, by_checkpoint=False)

# %% [markdown]
# ## Per p and checkpoint, 100th and 50th percentile

# %% tags=["report"]
# NBVAL_CHECK_OUTPUT
sweep100 = pgsrep.sweep_table(ckpt, percentile=100, by_checkpoint=True)
sweep50 = pgsrep.sweep_table(ckpt, percentile=50, by_checkpoint=True)
sweep100.assign(**{"oracle p50": sweep50["oracle p50"]})

# %% [markdown]
# ## OSEL's pick per seed and its regret (100th percentile)
# "best": the oracle-best (p, checkpoint) of the same run (the first one when several tie, which is common: different
# policies often leave the best candidate's decoded design unchanged); "regret" = best − OSEL pick; "best p (last
# ckpt) − pick": the oracle-best fully trained policy minus OSEL's pick (negative when OSEL's earlier checkpoint is
# better); "p=20 (last ckpt)": the official default p with the last checkpoint, for comparison.

# %% tags=["report"]
# NBVAL_CHECK_OUTPUT
regret = pgsrep.osel_regret(ckpt, percentile=100, reference_p=20)
regret.round(3)

# %% tags=["report"]
# NBVAL_CHECK_OUTPUT
summary = pgsrep.regret_summary(regret)
summary

# %%
display(Markdown(pgsrep.regret_sentences(regret, reference_p=20)))

# %% [markdown]
# ## Figure: score against p
# Left: the oracle's normalized 100th percentile; right: the OSEL score; one line per RL checkpoint, mean over
# `seeds` with 95%-interval error bars (lines shifted by ±0.6 on x so the bars stay apart); black crosses: OSEL's
# pick in each seed (its oracle score, at its p).

# %% tags=["report"]
fig, axes = plt.subplots(len(runnable), 2, figsize=(11, 3.6 * max(len(runnable), 1)), squeeze=False)
for row, tid in zip(axes, runnable):
    pgsrep.plot_sweep(ckpt, tid, percentile=100, axes=row)
    n = ckpt[ckpt.task == SHORT_NAMES.get(tid, tid)].seed.nunique()
    row[0].set_title(f"{tid}: oracle, {profile} profile, n={n}")
    row[1].set_title(f"{tid}: OSEL score, n={n}")
fig.tight_layout()

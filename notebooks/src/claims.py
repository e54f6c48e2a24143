# %% [markdown]
# # Do the papers' claims hold? The claims scoreboard
#
# One row per claim of the three papers (IGNITE, MATCH-OPT, PGS), generated from the stored run records only (no
# run is computed here; a missing record is simply absent and lowers n): the claim in one line, the evidence it
# rests on (notebook, tasks, settings, n seeds per cell), our statistic with its 95% interval, the paper's value
# and its source, and a verdict: **holds**, **does not hold**, **inconclusive at n = k** (with the n per cell that
# would decide it at the spread we observe: paired t, alpha 0.05, power 0.8) or **not testable here** (with the
# reason). A claim is tested only where its premise can be: on the tasks that run here (TF-Bind-8 and TF-Bind-10;
# Ant, D'Kitty and Superconductor need oracles we do not have). Rows are at the `quick` profile and, where records
# exist, at the paper's settings (`tools/campaign.py`). Each verdict rule is written out in the docstring of
# `mbo_lib/reporting/claims.py`; the sections below show the table each row rests on. I5 (the 1-D toy) is fitted
# live at this profile's sizes, and so is M3 (Shekel, Figure 1, as in `matchopt_shekel_figure`): neither
# experiment writes records.

# %%
import json

from IPython.display import display

import mbo_lib.reporting as rep
from mbo_lib.reporting import claims

# %% tags=["parameters"]
profile: str = "quick"  # smoke | quick | paper
paper_settings: bool = True  # also read the paper-settings records (records/paper/...) when profile is quick
shekel: bool = True  # M3: train the Shekel surrogates live (about 1.5 min at quick, seconds at smoke)

# %%
# NBVAL_IGNORE_OUTPUT
dev = rep.setup(profile, "cpu")
settings = [claims.Setting(profile)] + ([claims.Setting("paper")] if paper_settings and profile == "quick" else [])
live = {"I5": claims.toy_evidence(profile, rep.seeds_for(profile, [0, 1, 2])),  # no records exist for these two
        "M3": claims.shekel_evidence(profile, rep.seeds_for(profile, [0, 1, 2, 3])) if shekel else None}
board = claims.scoreboard(settings, toy_summary=live["I5"], shekel_errors=live["M3"])
print(f"{len(board)} rows over {board.claim.nunique()} claims; settings read: {[s.name for s in settings]}")


def show(claim):
    tables = claims.evidence_tables(claim, settings, live, board)
    for name, table in tables.items():
        print(f"{claim}, {name}:")
        display(table)
    if not tables:
        print(f"{claim}: no records at these settings.")


# %% [markdown]
# ## Scoreboard
# `n`: seeds per cell (a range when cells differ); `interval`: the 95% interval of the statistic; `decide_n`: for
# an inconclusive verdict, the seeds per cell that would decide it at the observed spread ("—": not applicable).

# %% tags=["report"]
# NBVAL_CHECK_OUTPUT
claims.display_board(board)

# %% [markdown]
# ## I1: IGNITE improves the 100th percentile of most baselines
# Paired gain (%) of IGNITE over the plain baseline, per (method, task) cell with paired seeds
# (`ignite_gain_table` has the full tables). Rule: sign test over the cells' mean gains, and the share of positive
# gains against the paper's 35/44. On TF-Bind-10 many runs of both sides score exactly what the data's top-128 start
# designs score by the oracle (a floor above D(best); `ignite_gain_table` counts them per cell): there a gain near
# zero is built in, so those cells weigh little for or against the claim.

# %%
# NBVAL_CHECK_OUTPUT
show("I1")

# %% [markdown]
# ## I2: IGNITE lowers the surrogate's sharpness on the candidates
# `rho * ||grad_w h||` on the 128 final candidates, without / with IGNITE (`ignite_sharpness`).

# %%
# NBVAL_CHECK_OUTPUT
show("I2")

# %% [markdown]
# ## I3: the gain depends on epsilon and eta_lambda
# Per (method, parameter): the Friedman test of IGNITE's scores across the parameter's values on the seeds that have
# every value, and the best and worst value with their paired difference (`ignite_sensitivity`).

# %%
# NBVAL_CHECK_OUTPUT
show("I3")

# %% [markdown]
# ## I4: IGNITE-2 keeps GA and COMs from degrading at late steps
# Per (task, method): plain's change from its best recorded step to the last (the premise: does plain degrade?)
# and IGNITE-2's paired difference over plain at the last step (`ignite_steps`).

# %%
# NBVAL_CHECK_OUTPUT
show("I4")

# %% [markdown]
# ## I5: on a 1-D toy the IGNITE surrogate is flatter away from the data
# Fitted live here (plain and IGNITE, same initial weights per seed; sizes of `ignite_toy_1d` at this profile).

# %%
# NBVAL_CHECK_OUTPUT
show("I5")

# %% [markdown]
# ## M1: MATCH-OPT has the best mean normalized rank
# Normalized rank per task (rank / methods ranked there) and MNR, at the 100th and the 50th percentile
# (`matchopt_main_table`). The verdict uses a stratified bootstrap of the MNR gap to the best other method.

# %%
# NBVAL_CHECK_OUTPUT
show("M1")

# %% [markdown]
# ## M2: removing the regression term hurts
# Paired difference alpha = 1 (the method) minus alpha = 0 (no regression term), per task (`matchopt_ablation`),
# at the 100th percentile, which the verdict reads, and at the 50th, shown beside it because the paper's ablation
# reports both (the rule was fixed before the paper-settings records existed and is not changed after seeing them).
# At the paper settings both variants score TF-Bind-10's top-128 start floor on every seed (see I1), so that cell
# cannot separate them; the campaign runs alpha = 0 on TF-Bind-8 as well for that reason.

# %%
# NBVAL_CHECK_OUTPUT
show("M2")

# %% [markdown]
# ## M3: gradient matching has the lower out-of-distribution gradient error
# The Shekel experiment writes no records, so it is trained live here as in `matchopt_shekel_figure` (same sizes
# per profile): per region, each surrogate's per-seed median gradient error and the paired difference MATCH-OPT −
# regression. The verdict counts only the paper's N(0, alpha I) regions (alpha values ours); "in data" and
# "above data" are shown for reference.

# %%
# NBVAL_CHECK_OUTPUT
show("M3")

# %% [markdown]
# ## P1: PGS has the best mean rank
# Normalized ranks and MNR at the 100th percentile, PGS next to the baselines and MATCH-OPT (`pgs_main_table`).

# %%
# NBVAL_CHECK_OUTPUT
show("P1")

# %% [markdown]
# ## P2: OSEL's pick is close to the oracle-best (p, checkpoint)
# Per seed: OSEL's pick, the oracle-best (p, checkpoint) of the same run and the regret (`pgs_percentile_sweep`).
# "Close" means within 0.05 normalized score (our margin: the paper gives none).

# %%
# NBVAL_CHECK_OUTPUT
show("P2")

# %% [markdown]
# ## P3: the learned step-size policy beats constant-step ascent on the same surrogate
# PGS with its learned policy against the ablation `policy="constant"` (action 1 at every step, the same step
# factor, surrogate and start designs), paired on seeds. The ablation runs are separate specs
# (`RunSpec(task, "PGS", profile, seed, overrides={"policy": "constant"})`); until they are in the store this row
# says "not run".

# %%
# NBVAL_CHECK_OUTPUT
show("P3")

# %% [markdown]
# ## The verdicts, by claim and settings (JSON)

# %% tags=["report"]
# NBVAL_CHECK_OUTPUT
print(json.dumps(claims.verdicts(board), indent=1, ensure_ascii=False))

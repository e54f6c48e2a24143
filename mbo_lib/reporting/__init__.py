"""Tables, plots and notebook helpers (ours next to published numbers)."""
from .availability import split_available, task_status
from .notebook import load_records, records_frame, seeds_for, setup
from .plots import plot_curves, plot_ours_vs_published
from .tables import (comparison_table, dataset_best_table, describe_differences, fmt_pm, ours_summary, start_floor_table,
                     top_k_start_scores, variant_table)

__all__ = ["split_available", "task_status", "setup", "seeds_for", "load_records", "records_frame", "plot_curves",
           "plot_ours_vs_published", "comparison_table", "dataset_best_table", "describe_differences", "fmt_pm", "ours_summary",
           "start_floor_table", "top_k_start_scores", "variant_table"]

"""Fitness: the rider's training load, power-duration curve and models, and W' balance.

Other domains use only what is exported here.
"""

from bikenode.fitness.coaching import may_read_rider
from bikenode.fitness.gdpr import ErasedFitness, erase_user_data, iter_user_export
from bikenode.fitness.logic.cp_models import (
    CriticalPowerFit,
    fit_three_parameter,
    fit_two_parameter,
    model_power_w,
)
from bikenode.fitness.logic.load import (
    LoadSeed,
    TrainingLoad,
    daily_stress,
    forecast,
    training_load,
)
from bikenode.fitness.logic.power_curve import (
    DURATION_GRID_S,
    CombinedCurve,
    PowerCurve,
    combine_curves,
    mean_max_power,
)
from bikenode.fitness.logic.stress import RideStress, ride_stress
from bikenode.fitness.logic.w_balance import (
    HardEfforts,
    hard_efforts,
    w_prime_balance_differential,
    w_prime_balance_integral,
)
from bikenode.fitness.reports import stress_days

__all__ = [
    "DURATION_GRID_S",
    "CombinedCurve",
    "CriticalPowerFit",
    "ErasedFitness",
    "HardEfforts",
    "LoadSeed",
    "PowerCurve",
    "RideStress",
    "TrainingLoad",
    "combine_curves",
    "daily_stress",
    "erase_user_data",
    "fit_three_parameter",
    "fit_two_parameter",
    "forecast",
    "hard_efforts",
    "iter_user_export",
    "may_read_rider",
    "mean_max_power",
    "model_power_w",
    "ride_stress",
    "stress_days",
    "training_load",
    "w_prime_balance_differential",
    "w_prime_balance_integral",
]

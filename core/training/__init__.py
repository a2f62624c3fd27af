"""Training what was built: data, loss and optimizer, the loop, the health check and
the exported training script. Plain torch; never Qt."""

from core.training.data import (
    TEACHING_SETS,
    DataError,
    Dataset,
    Split,
    load_csv,
    load_data,
    load_image_folder,
    load_tensor_data,
    split,
    teaching_set,
)
from core.training.health import LayerHealth, health_check
from core.training.histograms import Histograms, Picture
from core.training.setup import (
    SCHEDULES,
    TrainConfig,
    loss_specs,
    make_loss,
    make_optimizer,
    make_schedule,
    optimizer_specs,
)
from core.training.trainer import (
    DEMO_INITIALIZERS,
    ApplyTraining,
    Control,
    EpochStats,
    StepStats,
    Trainer,
    TrainingError,
    TrainResult,
    apply_initializer,
    check_fits_data,
    copy_for_training,
    initializer_demo,
    predict_grid,
)

__all__ = [
    "DEMO_INITIALIZERS", "SCHEDULES", "TEACHING_SETS", "ApplyTraining", "Control",
    "DataError", "Dataset", "EpochStats", "Histograms", "LayerHealth", "Picture", "Split",
    "StepStats", "TrainConfig", "TrainResult", "Trainer", "TrainingError", "apply_initializer",
    "check_fits_data", "copy_for_training", "health_check", "initializer_demo",
    "load_csv", "load_data", "load_image_folder", "load_tensor_data", "loss_specs",
    "make_loss", "make_optimizer", "make_schedule", "optimizer_specs", "predict_grid",
    "split", "teaching_set",
]

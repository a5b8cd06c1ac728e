"""The wizard's screens: one per step (see wizard.tui.steps), the start screen and the modals."""

from wizard.tui.screens.base import StepScreen
from wizard.tui.screens.capture import CaptureScreen
from wizard.tui.screens.convert import ConvertScreen
from wizard.tui.screens.cutover import CutoverScreen
from wizard.tui.screens.plan import PlanScreen
from wizard.tui.screens.preflight import PreflightScreen
from wizard.tui.screens.preview import PreviewScreen
from wizard.tui.screens.summary import SummaryScreen
from wizard.tui.screens.verify import VerifyScreen

STEP_SCREENS: tuple[type[StepScreen], ...] = (
    PlanScreen,
    PreflightScreen,
    CaptureScreen,
    PreviewScreen,
    ConvertScreen,
    VerifyScreen,
    CutoverScreen,
    SummaryScreen,
)

"""``tinydl.testing``: check a new op or layer in one call, and compare values as PyTorch's tests do.

    from tinydl.testing import assert_close, check_function, check_module

    assert_close(my_layer(x), expected)        # torch.testing.assert_close, worst element named
    check_function(MySigmoid, tinydl.randn(4, 3))
    check_module(MyLinear(3, 2), (4, 3))       # gradcheck, dtypes, batches, eval(), state_dict, cuda

``check_function`` and ``check_module`` print one line per check (PASS, FAIL
or SKIP and a few words) and raise LayerCheckError, an AssertionError that
carries the whole report, when a check fails: a wrong gradient comes with
gradcheck's diagnosis ("sign flipped", "transposed", "not summed over the
batch"), so they end a test, or a student's session, with the reason.

The package, in reading order:

    comparison.py     assert_close and the default tolerances per dtype
    report.py         CheckResult, LayerCheckReport, LayerCheckError
    inputs.py         example inputs: from a shape, per dtype and device, cut into batches
    checks.py         the checks of any function: gradcheck, float32, warnings, cuda, reference
    module_checks.py  the checks of modules: batch sizes, train()/eval(), state_dict
    layer_check.py    check_function and check_module, which run them all
"""
from .comparison import assert_close, default_tolerances
from .layer_check import check_function, check_module
from .report import CheckResult, LayerCheckError, LayerCheckReport

__all__ = ["CheckResult", "LayerCheckError", "LayerCheckReport", "assert_close", "check_function",
           "check_module", "default_tolerances"]

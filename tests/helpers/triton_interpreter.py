"""Run flash-linear-attention's Triton kernels in the test process: on CUDA as they are, on CPU tensors under
Triton's interpreter (`TRITON_INTERPRET=1`). Test-only; nothing in the package imports this.

On a machine without a GPU, fla 0.6.0's kernels run under triton 3.7.1's interpreter after two work-arounds, both
written for that triton release (`TRITON_VERSION`; another release: the interpreter tests skip and say why):

- autotuning benchmarks every config on a GPU driver, which fails with `RuntimeError: 0 active drivers`
  (triton/runtime/autotuner.py:125). `Autotuner._bench` answers `[0.0, 0.0, 0.0]` instead, so the first config wins.
  This one also applies on CUDA: a test checks what a kernel computes, not how fast, and benchmarking every config
  costs minutes of compilation per kernel and shape.
- the interpreter hands `for i in range(n)` loops plain Python ints, and fla calls `i.to(tl.int64)`
  (`AttributeError: 'int' object has no attribute 'to'` at fla/ops/common/chunk_delta_h.py:176 and
  fla/ops/common/chunk_h.py:97). `ASTTransformer.visit_For` rebinds the loop variable through
  `interpreter_semantic.to_tensor(var, False)` as the first statement of the loop body, as the interpreter already
  does for assignments.

`TRITON_INTERPRET` must be set before fla is imported (its kernels are wrapped at import), so `enable()` runs from
tests/conftest.py, before any test module; it also sets `TRITON_F32_DEFAULT=ieee` so fp32 dots on a GPU are not
rounded to TF32 and the kernels can be held to the float64 references' tolerances.
"""

from __future__ import annotations

import ast
import importlib.metadata
import importlib.util
import os

TRITON_VERSION = "3.7.1"
FLA_VERSION = "0.6.0"
skip_reason: str | None = "tests/triton_interpreter.enable() was not called"  # set by enable()


def _first_config_wins(self, *args, config, **kwargs):
    return [0.0, 0.0, 0.0]


def _loop_variable_as_tensor(self, node: ast.For) -> ast.For:
    self.generic_visit(node)
    if isinstance(node.target, ast.Name):
        to_tensor = ast.Attribute(
            value=ast.Name(id="interpreter_semantic", ctx=ast.Load()), attr="to_tensor", ctx=ast.Load()
        )
        value = ast.Call(
            func=to_tensor, args=[ast.Name(id=node.target.id, ctx=ast.Load()), ast.Constant(value=False)], keywords=[]
        )
        node.body.insert(0, ast.Assign(targets=[ast.Name(id=node.target.id, ctx=ast.Store())], value=value))
    return node


def enable(cuda: bool) -> None:
    """Make fla's kernels runnable here: on CPU (`cuda=False`) under the interpreter. Sets `skip_reason` to `None`
    when they are, else to why not (the reason the fla tests skip with)."""
    global skip_reason
    skip_reason = _enable(cuda)


def _enable(cuda: bool) -> str | None:
    if importlib.util.find_spec("triton") is None or importlib.util.find_spec("fla") is None:
        return "triton and fla are not installed (sh tools/test.sh installs them into .venv)"
    found = importlib.metadata.version("triton")  # read without importing triton, which reads TRITON_INTERPRET
    if not cuda and found != TRITON_VERSION:
        return f"the interpreter work-arounds were written for triton {TRITON_VERSION}, found {found}"
    if not cuda:
        os.environ["TRITON_INTERPRET"] = "1"
        import triton.runtime.interpreter as interpreter

        interpreter.ASTTransformer.visit_For = _loop_variable_as_tensor
    os.environ.setdefault("TRITON_F32_DEFAULT", "ieee")
    import triton.runtime.autotuner as autotuner

    autotuner.Autotuner._bench = _first_config_wins
    import fla

    if fla.__version__ != FLA_VERSION:
        return f"the fla tests were written against fla {FLA_VERSION}, found {fla.__version__}"
    return None

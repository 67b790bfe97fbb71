"""The ``python`` step: call a project function with its inputs, commit what it returns.

Inputs are passed by parameter name — ``orders`` (or ``raw_orders``) receives ``raw.orders``
— in the form the parameter's annotation asks for: a ``pyarrow.RecordBatchReader``
streams the pinned snapshot batch by batch; otherwise the engine's preferred form, a DuckDB
relation on DuckDB (lazy: filter and aggregate it in SQL before anything is read). A
parameter named ``context`` receives the :class:`PythonContext`. The result goes through
the same materializations, lineage columns and events as a ``sql`` step's.
"""

from __future__ import annotations

import inspect
import logging
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from sluiceway.errors import UsageError
from sluiceway.orchestrate.steps.base import StepOutcome
from sluiceway.orchestrate.steps.gated import checks_of, commit_gated
from sluiceway.orchestrate.steps.inputs import known_tables, pin_inputs, source_label
from sluiceway.orchestrate.steps.lineage import record_table_lineage
from sluiceway.orchestrate.steps.python_results import to_reader
from sluiceway.orchestrate.steps.user_code import UserIterator, call_user, load_function

if TYPE_CHECKING:
    from collections.abc import Callable

    from sluiceway.engines.base import Engine, Input
    from sluiceway.lake.commit import WriteContext
    from sluiceway.orchestrate.context import RunContext, StepContext
    from sluiceway.spec.steps import PythonStep

CONTEXT_PARAMETER = "context"


@dataclass(frozen=True)
class PythonContext:
    """What a python step's ``context`` parameter receives."""

    run: RunContext
    params: dict[str, Any]
    inputs: dict[str, int] = field(default_factory=dict)
    """Each input table and the Delta version pinned for this run."""
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("sluiceway.step"))


class PythonStepExecutor:
    """Runs ``type: python`` steps."""

    def dependencies(self, step: PythonStep, ctx: StepContext) -> list[str]:
        """The declared ``inputs``; each must be a table the project knows."""
        from sluiceway.spec.problems import did_you_mean

        known = known_tables(ctx)
        for name in step.inputs:
            if name not in known:
                close = did_you_mean(name, known)
                raise UsageError(
                    f"step {step.name}: unknown input table {name}"
                    + (f" — {close}" if close else ""),
                    hint="inputs name tables as layer.name",
                )
        return list(step.inputs)

    def execute(self, step: PythonStep, ctx: StepContext, batch: WriteContext) -> StepOutcome:
        """Call the function and commit its result as batch ``batch``."""
        function = load_function(ctx.project.root, step.module_file, step.function_name)
        inputs = pin_inputs(self.dependencies(step, ctx), ctx)
        engine_name = ctx.engine_name(step)
        engine = ctx.engines.get(engine_name)
        versions = {name: item.version for name, item in inputs.items()}
        context = PythonContext(run=ctx.run, params=ctx.params(step), inputs=versions)
        arguments = _bind(function, step, inputs, engine, context)
        result = call_user(function, ctx.project.root, **arguments)
        batch = replace(batch, source=source_label(inputs) or step.function)
        checks = checks_of(step, ctx)
        # A generator runs the user's code while the result is written: its raise must
        # still read as theirs, not as the writer's failure.
        with result.reraise() if isinstance(result, UserIterator) else nullcontext():
            reader = to_reader(result, step.function)
            if checks:
                commit = commit_gated(step, ctx, batch, reader, checks)
            else:
                commit = ctx.lake.write(step.table, reader, step.materialization, batch)
        record_table_lineage(ctx, step.table, inputs, commit)
        return StepOutcome(table=step.table, commit=commit, inputs=versions, engine=engine_name)


def _bind(
    function: Callable[..., Any],
    step: PythonStep,
    inputs: dict[str, Input],
    engine: Engine,
    context: PythonContext,
) -> dict[str, Any]:
    """Match the function's parameters to the step's inputs and context, by name."""
    by_parameter: dict[str, str] = {}
    for name in inputs:
        short = name.split(".", 1)[1]
        by_parameter.setdefault(short, name)
        by_parameter[name.replace(".", "_")] = name
    arguments: dict[str, Any] = {}
    parameters = inspect.signature(function).parameters
    for parameter in parameters.values():
        if parameter.name == CONTEXT_PARAMETER:
            arguments[parameter.name] = context
        elif parameter.name in by_parameter:
            item = inputs[by_parameter[parameter.name]]
            arguments[parameter.name] = _input_form(item, parameter, engine)
        elif parameter.default is inspect.Parameter.empty and parameter.kind not in (
            inspect.Parameter.VAR_POSITIONAL,
            inspect.Parameter.VAR_KEYWORD,
        ):
            raise UsageError(
                f"{step.function}: parameter {parameter.name!r} matches no input",
                hint="parameters take an input's name (orders or raw_orders for raw.orders) "
                f"or {CONTEXT_PARAMETER!r}; inputs: " + (", ".join(inputs) or "none"),
            )
    unused = set(inputs) - {by_parameter[p] for p in arguments if p in by_parameter}
    if unused:
        raise UsageError(
            f"{step.function}: no parameter receives input {sorted(unused)[0]}",
            hint="add a parameter named after it, or drop it from the step's inputs",
        )
    return arguments


def _input_form(item: Input, parameter: inspect.Parameter, engine: Engine) -> Any:
    """The input as the parameter's annotation asks: an Arrow reader, or the engine's form."""
    annotation = parameter.annotation
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")
    forms = engine.capabilities.python_inputs
    if "RecordBatchReader" in str(text) or forms[0] == "arrow":
        return item.dataset().scanner().to_reader()
    return engine.python_input(item, forms[0])

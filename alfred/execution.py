"""Running a tool call: validate its arguments, run it once, record it with its result. The brain's rules
and the LLM layer both end here, so a call is checked and journaled the same way whoever proposed it."""

import logging
import time

from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _
from pydantic import ValidationError

from alfred.audit import TOOL_WRITE, audit_record, database_writes, member_actor
from alfred.content import OutboundContent
from alfred.metrics import tool_called
from alfred.models import Message, ToolCall
from alfred.registry import Intent, ToolContext, ToolResult, get_registry

logger = logging.getLogger(__name__)


def tool_execute(*, ctx: ToolContext, intent: Intent, call_id: str) -> ToolCall:
    """Validate and run one tool call, recorded with its result. A call already recorded for this message
    and call id is returned as it is, so a retried turn never repeats a tool's effect."""
    done = _recorded_call(ctx.message, call_id)
    if done is not None:
        return done
    registry = get_registry()
    started = time.perf_counter()
    one = registry.tools.get(intent.tool)
    if one is None:
        result, ok = ToolResult(text=f"Unknown tool {intent.tool!r}", ok=False), False
        return _record(ctx, intent, call_id, result, ok, started, outcome="unknown_tool")
    try:
        arguments = one.arguments.model_validate(intent.args)
    except ValidationError as exc:
        errors = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        result = ToolResult(text=f"Invalid arguments: {errors}", ok=False)
        return _record(ctx, intent, call_id, result, False, started, outcome="invalid_args")
    try:
        with transaction.atomic():
            with database_writes() as writes:
                result = one.call(ctx, arguments)
            call = _record(ctx, intent, call_id, result, result.ok, started)
            if writes.statements:
                # Argument names only: the values are the member's words (items, notes), kept on the call row.
                audit_record(
                    TOOL_WRITE,
                    actor=member_actor(ctx.member.pk),
                    target=f"tool:{intent.tool}",
                    message=ctx.message.pk,
                    tool_call=call.pk,
                    ok=result.ok,
                    statements=writes.statements,
                    args=sorted(intent.args),
                )
            return call
    except IntegrityError:
        # Either a concurrent run of this same turn recorded the call first (and its effect with it), or the
        # tool's own work broke a constraint; its effect was rolled back, so the call is recorded as failed.
        done = ToolCall.objects.filter(message=ctx.message, call_id=call_id).first()
        if done is not None:
            return done
        logger.warning("tool %s: its work conflicted with data already saved (IntegrityError)", intent.tool)
        text = _("That did not work: it conflicts with something already saved. Please check and try again.")
        try:
            with transaction.atomic():
                return _record(ctx, intent, call_id, ToolResult(text=text, ok=False), False, started)
        except IntegrityError:  # a concurrent run recorded it meanwhile
            return ToolCall.objects.get(message=ctx.message, call_id=call_id)


def _recorded_call(message: Message, call_id: str) -> ToolCall | None:
    """The call already recorded for this message and call id, if any. Asked first for every call, and almost
    never there: a bare id lookup costs a fraction of compiling the ORM's filter and reading the whole row."""
    if message.pk is None:
        return ToolCall.objects.filter(message=message, call_id=call_id).first()
    table = connection.ops.quote_name(ToolCall._meta.db_table)
    with connection.cursor() as cursor:
        # Only the model's own table name is interpolated; the values are parameters.
        cursor.execute(f"SELECT id FROM {table} WHERE message_id = %s AND call_id = %s", [message.pk, call_id])  # noqa: S608
        row = cursor.fetchone()
    return None if row is None else ToolCall.objects.get(pk=row[0])


def _record(
    ctx: ToolContext, intent: Intent, call_id: str, result: ToolResult, ok: bool, started: float, *, outcome: str = ""
) -> ToolCall:
    # A name the model made up is not a series of its own: unknown tools are counted together.
    tool_called(
        tool="unknown" if outcome == "unknown_tool" else intent.tool, outcome=outcome or ("ok" if ok else "error")
    )
    return ToolCall.objects.create(
        message=ctx.message,
        call_id=call_id,
        tool=intent.tool,
        args=intent.args,
        # The whole result is kept: a retried turn replays the reply from here, buttons and facts included.
        result={
            "text": result.text,
            "data": result.data,
            "acknowledge": result.acknowledge,
            **OutboundContent(buttons=result.buttons, facts=result.facts).as_json(),
        },
        ok=ok,
        duration_ms=(time.perf_counter() - started) * 1000,
    )

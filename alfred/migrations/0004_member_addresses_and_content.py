"""Members reach Alfred through addresses (channel + address) instead of one column per provider, and an
outbound row's typed content moves out of ``raw`` into ``content``. Existing data is carried over both ways,
so every member stays reachable and every queued reminder keeps its buttons and template values."""

import django.db.models.deletion
from django.db import migrations, models

import alfred.channels

# The provider columns this migration retires, and the channel each one's values belong to.
ADDRESS_COLUMNS = (("wa_id", "whatsapp"), ("wa_user_id", "whatsapp"), ("slack_user_id", "slack"))
BUTTON_PREFIX = "alfred:"


def addresses_from_columns(apps, schema_editor):
    Member = apps.get_model("alfred", "Member")
    MemberAddress = apps.get_model("alfred", "MemberAddress")
    for member in Member.objects.all():
        for column, channel in ADDRESS_COLUMNS:
            value = getattr(member, column)
            if value:
                MemberAddress.objects.get_or_create(channel=channel, address=value, defaults={"member": member})


def columns_from_addresses(apps, schema_editor):
    MemberAddress = apps.get_model("alfred", "MemberAddress")
    for address in MemberAddress.objects.select_related("member").order_by("id"):
        member = address.member
        if address.channel == "whatsapp":
            column = "wa_id" if address.address.isdigit() else "wa_user_id"
        elif address.channel == "slack":
            column = "slack_user_id"
        else:
            continue
        if not getattr(member, column):
            setattr(member, column, address.address)
            member.save(update_fields=[column])


def _button(old):
    import json

    identifier = old.get("id", "") if isinstance(old, dict) else ""
    if not identifier.startswith(BUTTON_PREFIX):
        return None
    try:
        call = json.loads(identifier[len(BUTTON_PREFIX) :])
    except ValueError:
        return None
    if not isinstance(call, dict) or not isinstance(call.get("tool"), str):
        return None
    return {"title": old.get("title", ""), "tool": call["tool"], "args": call.get("args") or {}}


def content_from_raw(apps, schema_editor):
    Message = apps.get_model("alfred", "Message")
    for message in Message.objects.filter(direction="out"):
        raw = message.raw if isinstance(message.raw, dict) else {}
        content = {}
        if raw.get("acknowledge") is True:
            content["acknowledge"] = True
        buttons = [button for button in map(_button, raw.get("buttons") or []) if button]
        if buttons:
            content["buttons"] = buttons
        if isinstance(raw.get("template_params"), list):
            content["notice_values"] = [str(value) for value in raw["template_params"]]
        if content:
            kept = {k: v for k, v in raw.items() if k not in ("acknowledge", "buttons", "template_params")}
            Message.objects.filter(pk=message.pk).update(content=content, raw=kept)


def raw_from_content(apps, schema_editor):
    Message = apps.get_model("alfred", "Message")
    for message in Message.objects.filter(direction="out").exclude(content={}):
        raw = dict(message.raw) if isinstance(message.raw, dict) else {}
        content = message.content
        if content.get("acknowledge"):
            raw["acknowledge"] = True
        if "notice_values" in content:
            raw["template_params"] = content["notice_values"]
        if content.get("buttons"):
            import json

            raw["buttons"] = [
                {
                    "id": BUTTON_PREFIX
                    + json.dumps({"tool": b["tool"], "args": b["args"]}, separators=(",", ":"), ensure_ascii=False),
                    "title": b["title"],
                }
                for b in content["buttons"]
            ]
        Message.objects.filter(pk=message.pk).update(raw=raw)


class Migration(migrations.Migration):
    dependencies = [
        ("alfred", "0003_llm_completions"),
    ]

    operations = [
        migrations.CreateModel(
            name="MemberAddress",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("channel", models.CharField(choices=alfred.channels.channel_choices, max_length=16)),
                ("address", models.CharField(max_length=128)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "member",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="addresses", to="alfred.member"
                    ),
                ),
            ],
            options={
                "verbose_name_plural": "addresses",
                "ordering": ["channel", "id"],
                "constraints": [
                    models.UniqueConstraint(fields=("channel", "address"), name="memberaddress_unique_per_channel")
                ],
            },
        ),
        migrations.AddField(
            model_name="message",
            name="content",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.RunPython(addresses_from_columns, columns_from_addresses),
        migrations.RunPython(content_from_raw, raw_from_content),
        migrations.RemoveField(model_name="member", name="slack_user_id"),
        migrations.RemoveField(model_name="member", name="wa_id"),
        migrations.RemoveField(model_name="member", name="wa_user_id"),
        migrations.AlterField(
            model_name="conversation",
            name="channel",
            field=models.CharField(choices=alfred.channels.channel_choices, max_length=16),
        ),
        migrations.AlterField(
            model_name="message",
            name="channel",
            field=models.CharField(choices=alfred.channels.channel_choices, max_length=16),
        ),
    ]

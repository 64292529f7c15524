from django.urls import path

from channels_slack.views import slack_events

urlpatterns = [
    path("slack/events/", slack_events, name="slack-events"),
]

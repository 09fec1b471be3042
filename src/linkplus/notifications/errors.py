"""Refusals of the notifications domain."""

from __future__ import annotations

from linkplus.errors import InvalidInput, NotFound


class NotificationNotFound(NotFound):
    code = "notification_not_found"
    title = "Notification not found"


class CategoryRequired(InvalidInput):
    code = "category_required"
    title = "This category cannot be switched off"


class PushNotConfigured(NotFound):
    code = "push_not_configured"
    title = "Push notifications are not available"


class PushSubscriptionNotFound(NotFound):
    code = "push_subscription_not_found"
    title = "Push subscription not found"

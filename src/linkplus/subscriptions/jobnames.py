"""Job names of the subscriptions domain (handlers in ``reactions``)."""

SETTLE = "subscriptions.settle"
CANCEL_FOR_REMOVED_VEHICLE = "subscriptions.cancel_for_removed_vehicle"
FOLLOW_PRIMARY_CHANGE = "subscriptions.follow_primary_change"

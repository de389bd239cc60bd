"""Every kind of audit event the portal writes: the audit log's filter offers these without reading the table.

Listing them here (instead of SELECT DISTINCT over the whole log on every page view) keeps the filter free
however long the log grows. tests/audit/test_catalogue.py reads every `audit.record(...)` call in portal/
and fails when an action or object type is missing, so a new action cannot be forgotten. A link to an
action that is not listed (an old event) still filters: the form adds the requested value.
"""

ACTIONS = (
    "case.accept", "case.close", "case.dispatch", "case.escalated", "case.evaluate", "case.file", "case.handle",
    "case.feedback", "case.handle_again", "case.linked", "case.reject", "case.reopen", "case.reported", "case.verify",
<<<<<<< HEAD
    "case_category.created", "case_category.updated",
=======
    "api_key.issued", "api_key.request_posted", "api_key.revoked",
>>>>>>> main
    "audit.exported",
    "bid.file_read", "bid.replaced", "bid.submitted", "bid.withdrawn",
    "call.amended", "call.cancelled", "call.draft_updated", "call.drafted", "call.opened", "call.published",
    "call.question_answered", "call.question_asked",
    "call.award_cancelled", "call.award_confirmed", "call.awarded", "call.evaluation_started", "call.panel_named",
    "call.contracted",
    "contract.amended", "contract.amendment_approved", "contract.amendment_proposed", "contract.amendment_refused",
    "contract.scope_request_logged", "contract.signed",
    "campaign.closed", "campaign.created", "campaign.finished", "campaign.image_added", "campaign.image_removed",
    "campaign.late_gift_refunded",
    "campaign.monthly_gifts_not_cancelled", "campaign.published", "campaign.refund_failed",
    "campaign.update_posted", "campaign.updated",
    "catalogue.imported", "catalogue_item.created", "catalogue_item.updated",
    "contract.closed", "contract.completed", "contract.terminated",
    "contract_evaluation.finalised", "contract_evaluation.rebutted", "contract_evaluation.submitted",
    "contract_payment.approved", "contract_payment.rejected", "contract_payment.requested",
    "delivery.reported", "delivery.resubmitted", "delivery.returned", "delivery.verified",
    "department.created",
    "disbursement.approved", "disbursement.paid", "disbursement.rejected", "disbursement.requested",
    "donation.arrived_after_close", "donation.dispute_closed", "donation.disputed", "donation.expired",
    "donation.failed", "donation.flagged", "donation.offline_confirmed", "donation.offline_recorded",
    "donation.offline_rejected", "donation.payment_held_for_review", "donation.refund_failed",
    "donation.refund_mismatch", "donation.refund_requested", "donation.refunded", "donation.started",
    "donation.succeeded",
    "evaluation.conflicts_declared", "evaluation.scored", "evaluation.submitted",
    "fund.created", "fund.updated",
    "in_kind.pledged", "in_kind.received", "in_kind.sold", "in_kind.withdrawn",
    "login.failed",
    "low_price.accepted", "low_price.explained", "low_price.flagged", "low_price.rejected",
    "matching_pool.created",
    "milestone.accepted", "milestone.paid",
    "minimum_wage.set",
    "need.accepted", "need.answered", "need.backings_moved", "need.declined", "need.linked", "need.merged",
    "need.posted",
    "objection.answered", "objection.filed",
    "organisation.document_uploaded", "organisation.member_added", "organisation.member_invited",
    "organisation.member_removed", "organisation.registered", "organisation.reinstated", "organisation.rejected",
    "organisation.resubmitted", "organisation.suspended", "organisation.updated", "organisation.verified",
    "password.changed", "password.reset", "password.reset_requested",
    "place.created", "place.moved", "place.updated", "places.imported",
    "project.created", "project.indicator_added", "project.indicator_updated", "project.photo_added",
    "project.photo_removed", "project.rated", "project.rating_replied", "project.report_approved",
    "project.report_returned", "project.report_submitted", "project.status_changed", "project.update_posted",
    "project.updated",
    "qualification.recorded", "qualification.revoked",
    "recurring_gift.activated", "recurring_gift.cancelled", "recurring_gift.failed",
    "recurring_gift.payment_failed", "recurring_gift.payment_held_for_review", "recurring_gift.started",
    "roadshow.voted",
    "sample.answered", "sample.drawn",
    "role.granted", "role.revoked",
    "team.created", "team.joined", "team.left", "team.updated",
    "user.erased", "user.registered",
    "volunteering.hours_recorded", "volunteering.hours_rejected", "volunteering.hours_reversed",
    "volunteering.hours_verified", "volunteering.opportunity_closed", "volunteering.opportunity_published",
    "volunteering.shift_added",
)

OBJECT_TYPES = (
<<<<<<< HEAD
    "audit_log", "bid", "call", "call_question", "campaign", "case", "case_category", "catalogue_item", "contract",
=======
    "api_key", "audit_log", "bid", "call", "call_question", "campaign", "case", "catalogue_item", "contract",
>>>>>>> main
    "contract_evaluation",
    "contract_payment", "department", "disbursement", "donation", "fund", "hour_record", "in_kind_pledge",
    "low_price_review", "matching_pool", "milestone", "need", "objection",
    "opportunity", "organisation", "place", "qualification", "recurring_gift", "role_assignment", "service_project",
    "shift", "team", "user",
)

package io.tributary.client.admin;

/** What a grant allows a role on a namespace or a topic. Actions do not imply each other. */
public enum AuthAction {
    /** Publish messages. */
    PRODUCE,
    /** Subscribe, read, receive and acknowledge; optionally only for subscriptions with a given prefix. */
    CONSUME,
    /** Create and delete topics, administer their subscriptions, and (on a namespace) change its policies. */
    ADMIN
}

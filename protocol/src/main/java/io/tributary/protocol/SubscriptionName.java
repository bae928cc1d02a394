package io.tributary.protocol;

import io.tributary.api.v1.ErrorReason;
import java.util.regex.Pattern;

/**
 * The rule for subscription names, checked wherever a name enters the broker (Subscribe, unary
 * Receive and Acknowledge, GetLastMessageId, the admin's subscription calls): 1 to
 * {@value #MAX_LENGTH} visible ASCII characters other than {@code /} (so letters, digits and
 * punctuation such as {@code - _ . = : $ # @}, as applications name subscriptions after classes
 * and jobs), and neither {@code .} nor {@code ..}. A durable subscription's name is a
 * znode name under its topic's cursors, so a slash would make it a path (a phantom subscription
 * nobody can see or delete, that pins the topic's retention), the dot names are not znode names at
 * all, and ZooKeeper refuses control characters in names.
 */
public final class SubscriptionName {
    public static final int MAX_LENGTH = 256;
    /** The rule as error messages state it. */
    public static final String RULE = "a subscription name is 1 to " + MAX_LENGTH
            + " visible ASCII characters other than '/' (no spaces or control characters), and not '.' or '..'";
    private static final Pattern ALLOWED = Pattern.compile("[\\x21-\\x2E\\x30-\\x7E]+");
    /** How much of a refused name an error message repeats. */
    private static final int ECHO = 64;

    private SubscriptionName() {}

    /** Returns {@code name} if it follows the rule, else throws INVALID_REQUEST stating the rule. */
    public static String check(String name) {
        String why = problem(name);
        if (why != null) {
            throw new TributaryException(ErrorReason.INVALID_REQUEST, why);
        }
        return name;
    }

    /** Null if {@code name} follows the rule, else a message saying what is wrong and stating the rule. */
    public static String problem(String name) {
        if (name == null || name.isEmpty()) {
            return "a subscription name is required (" + RULE + ")";
        }
        if (name.length() > MAX_LENGTH) {
            return "subscription name '" + name.substring(0, ECHO) + "...' has " + name.length() + " characters; " + RULE;
        }
        if (name.equals(".") || name.equals("..") || !ALLOWED.matcher(name).matches()) {
            String shown = name.length() > ECHO ? name.substring(0, ECHO) + "..." : name;
            return "invalid subscription name '" + shown + "': " + RULE;
        }
        return null;
    }
}

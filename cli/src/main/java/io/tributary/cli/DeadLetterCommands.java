package io.tributary.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tributary.api.v1.AdminServiceGrpc.AdminServiceBlockingStub;
import io.tributary.api.v1.DeadLetter;
import io.tributary.api.v1.DeadLetterTopic;
import io.tributary.api.v1.ListDeadLettersRequest;
import io.tributary.api.v1.MessageId;
import io.tributary.api.v1.PeekDeadLettersRequest;
import io.tributary.api.v1.PeekDeadLettersResponse;
import io.tributary.api.v1.PurgeDeadLettersRequest;
import io.tributary.api.v1.PurgeDeadLettersResponse;
import io.tributary.api.v1.RedriveDeadLettersRequest;
import io.tributary.api.v1.RedriveDeadLettersResponse;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

/** {@code tributary admin deadletters ...}: what consumers gave up on (docs/administration.md, "Dead letters"). */
@Command(name = "deadletters", mixinStandardHelpOptions = true,
        description = "Lists, peeks at, redrives and purges dead letters.",
        subcommands = {DeadLetterCommands.ListTopics.class, DeadLetterCommands.Peek.class, DeadLetterCommands.Redrive.class,
                DeadLetterCommands.Purge.class})
final class DeadLetterCommands {
    private DeadLetterCommands() {}

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "Dead-letter topics with the messages they hold, their ages and where they came from.")
    static final class ListTopics extends AdminCommand.Call {
        @ArgGroup(exclusive = true, multiplicity = "1")
        Scope scope;
        @Option(names = "--subscription", paramLabel = "SUBSCRIPTION", description = "With --topic: that subscription's only.")
        String subscription;

        static final class Scope {
            @Option(names = "--namespace", paramLabel = "NAMESPACE", description = "Every dead-letter topic of the namespace.")
            String namespace;
            @Option(names = "--topic", paramLabel = "TOPIC", description = "The dead-letter topics of this topic's subscriptions.")
            String topic;
        }

        @Override
        public void run(AdminServiceBlockingStub admin) {
            ListDeadLettersRequest.Builder r = ListDeadLettersRequest.newBuilder();
            if (scope.namespace != null) {
                r.setNamespace(scope.namespace);
            } else {
                r.setTopic(scope.topic);
            }
            if (subscription != null) {
                r.setSubscription(subscription);
            }
            List<DeadLetterTopic> topics = admin.listDeadLetters(r.build()).getTopicsList();
            if (structured(topics.stream().map(Output::tree).toList())) {
                return;
            }
            List<ObjectNode> rows = new ArrayList<>();
            for (DeadLetterTopic t : topics) {
                rows.add(Output.JSON.createObjectNode().put("topic", t.getTopic()).put("from", t.getOriginalTopic())
                        .put("subscription", t.getOriginalSubscription()).put("messages", t.getMessages())
                        .put("bytes", t.getBytes()).put("oldest", time(t.getOldestPublishTimeMs()))
                        .put("redriven", t.getRedrivenTotal()).put("purged", t.getPurgedTotal()));
            }
            print(rows);
        }
    }

    @Command(name = "peek", mixinStandardHelpOptions = true,
            description = "Held dead letters, oldest first, with why and when they failed; nothing is consumed.")
    static final class Peek extends AdminCommand.Call {
        @Parameters(paramLabel = "DLQ_TOPIC")
        String topic;
        @Option(names = {"-n", "--max"}, defaultValue = "10", paramLabel = "N", description = "At most N (1..1000; default 10).")
        int max;
        @Option(names = "--after", paramLabel = "LEDGER:ENTRY[:INDEX]", description = "Start after this message (the next page).")
        String after;

        @Override
        public void run(AdminServiceBlockingStub admin) {
            PeekDeadLettersRequest.Builder r = PeekDeadLettersRequest.newBuilder().setTopic(topic).setMaxMessages(max);
            if (after != null) {
                r.setAfter(messageId(spec, "--after", after));
            }
            PeekDeadLettersResponse page = admin.peekDeadLetters(r.build());
            if (structured(page)) {
                return;
            }
            List<ObjectNode> rows = new ArrayList<>();
            for (DeadLetter d : page.getMessagesList()) {
                rows.add(Output.JSON.createObjectNode().put("id", id(d.getMessageId())).put("from", d.getOriginalTopic())
                        .put("subscription", d.getOriginalSubscription()).put("redeliveries", d.getRedeliveryCount())
                        .put("reason", d.getFailureReason()).put("first delivery", time(d.getFirstDeliveryMs()))
                        .put("last delivery", time(d.getLastDeliveryMs())).put("key", d.getKey())
                        .put("value", text(d.getValue().toByteArray())));
            }
            print(rows);
            if (page.getMore()) {
                System.out.println("more: --after " + id(page.getMessages(page.getMessagesCount() - 1).getMessageId()));
            }
        }
    }

    @Command(name = "redrive", mixinStandardHelpOptions = true,
            description = "Publishes dead letters back to the topic each came from, at a limited rate; one already redriven is"
                    + " not published again.")
    static final class Redrive extends AdminCommand.Call {
        @Parameters(paramLabel = "DLQ_TOPIC")
        String topic;
        @Option(names = "--message-id", paramLabel = "LEDGER:ENTRY[:INDEX]", description = "This message; repeatable.")
        List<String> ids = new ArrayList<>();
        @Option(names = "--all", description = "Until none is held (calls again while some remain).")
        boolean all;
        @Option(names = "--rate", defaultValue = "100", paramLabel = "N", description = "Messages per second (1..10000; default 100).")
        int rate;
        @Option(names = "--max", defaultValue = "1000", paramLabel = "N", description = "At most N per call, oldest first (default 1000).")
        int max;
        @Option(names = "--to", paramLabel = "TOPIC", description = "Publish there instead of the original topic.")
        String target;

        @Override
        public void run(AdminServiceBlockingStub admin) {
            if (all && !ids.isEmpty()) {
                throw new ParameterException(spec.commandLine(), "--all and --message-id do not go together");
            }
            RedriveDeadLettersRequest.Builder r = RedriveDeadLettersRequest.newBuilder().setTopic(topic).setRatePerSecond(rate)
                    .setMaxMessages(max).setTargetTopic(target == null ? "" : target);
            ids.forEach(id -> r.addMessageIds(messageId(spec, "--message-id", id)));
            long redriven = 0;
            long done = 0;
            RedriveDeadLettersResponse last;
            do {
                last = admin.redriveDeadLetters(r.build());
                redriven += last.getRedriven();
                done += last.getAlreadyDone();
                if (all && last.getRemaining() > 0 && forPeople()) {
                    System.out.println("redrove " + redriven + " so far, " + last.getRemaining() + " left");
                }
            } while (all && last.getRemaining() > 0 && last.getRedriven() > 0);
            RedriveDeadLettersResponse total = last.toBuilder().setRedriven(redriven).setAlreadyDone(done).build();
            if (!structured(total)) {
                System.out.println("redrove " + redriven + " dead letters of " + topic + (done > 0 ? " (" + done
                        + " named were redriven or purged before)" : "") + "; " + total.getRemaining() + " held");
            }
        }
    }

    @Command(name = "purge", mixinStandardHelpOptions = true, description = "Removes dead letters (all, or the named ones).")
    static final class Purge extends AdminCommand.Call {
        @Parameters(paramLabel = "DLQ_TOPIC")
        String topic;
        @Option(names = "--message-id", paramLabel = "LEDGER:ENTRY[:INDEX]", description = "This message; repeatable.")
        List<String> ids = new ArrayList<>();

        @Override
        public void run(AdminServiceBlockingStub admin) {
            PurgeDeadLettersRequest.Builder r = PurgeDeadLettersRequest.newBuilder().setTopic(topic);
            ids.forEach(id -> r.addMessageIds(messageId(spec, "--message-id", id)));
            PurgeDeadLettersResponse p = admin.purgeDeadLetters(r.build());
            if (!structured(p)) {
                System.out.println("purged " + p.getPurged() + " dead letters of " + topic + "; " + p.getRemaining() + " held");
            }
        }
    }

    /** {@code LEDGER:ENTRY[:INDEX]}, as peek prints ids. */
    static MessageId messageId(picocli.CommandLine.Model.CommandSpec spec, String option, String text) {
        String[] parts = text.split(":", -1);
        try {
            if (parts.length == 2 || parts.length == 3) {
                return MessageId.newBuilder().setLedgerId(Long.parseLong(parts[0])).setEntryId(Long.parseLong(parts[1]))
                        .setBatchIndex(parts.length == 3 ? Integer.parseInt(parts[2]) : 0).build();
            }
        } catch (NumberFormatException e) {
            // the message below
        }
        throw new ParameterException(spec.commandLine(), option + " must be LEDGER:ENTRY[:INDEX], was " + text);
    }

    private static String id(MessageId id) {
        return id.getLedgerId() + ":" + id.getEntryId() + ":" + id.getBatchIndex();
    }

    private static String time(long epochMs) {
        return epochMs <= 0 ? "" : Instant.ofEpochMilli(epochMs).toString();
    }

    /** UTF-8 text as it is, other bytes as base64. */
    private static String text(byte[] value) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(value)).toString();
        } catch (CharacterCodingException e) {
            return "base64:" + java.util.Base64.getEncoder().encodeToString(value);
        }
    }
}

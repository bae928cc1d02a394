package io.tributary.client.admin;

/**
 * How many bookies hold each entry of the ledgers a namespace's topics create from now on.
 *
 * @param ensembleSize bookies a ledger is striped over
 * @param writeQuorum  bookies each entry is written to
 * @param ackQuorum    bookies that must acknowledge an entry before it is confirmed
 */
public record Persistence(int ensembleSize, int writeQuorum, int ackQuorum) {

    /** @throws IllegalArgumentException unless ensembleSize >= writeQuorum >= ackQuorum >= 1 */
    public Persistence {
        if (ackQuorum < 1 || writeQuorum < ackQuorum || ensembleSize < writeQuorum) {
            throw new IllegalArgumentException("persistence needs ensembleSize >= writeQuorum >= ackQuorum >= 1, was "
                    + ensembleSize + "/" + writeQuorum + "/" + ackQuorum);
        }
    }
}

package io.tributary.broker.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.internal.v1.BrokerRegistration;
import org.junit.jupiter.api.Test;

/** Where a broker's control calls go. */
class BrokerClientsTest {
    @Test
    void aBrokerIsControlledAtItsInternalListener() {
        BrokerRegistration reg = BrokerRegistration.newBuilder().setBrokerId("b").setAddress("10.0.0.1:6651")
                .setInternalAddress("10.1.0.1:6652").build();
        assertThat(BrokerClients.controlAddress(reg)).isEqualTo("10.1.0.1:6652");
    }

    @Test
    void aRegistrationFromABrokerWithoutAnInternalListenerIsCalledAtItsClientAddress() {
        // written by a broker of an earlier version, which serves the control service on its client port
        BrokerRegistration old = BrokerRegistration.newBuilder().setBrokerId("b").setAddress("10.0.0.1:6651").build();
        assertThat(BrokerClients.controlAddress(old)).isEqualTo("10.0.0.1:6651");
    }
}

package io.tributary.chaos.check;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

/** STAND-IN for h10-g's check report (same accessors): the lead replaces this file with theirs at merge. */
public record CheckReport(long attempts, long acked, long lost, long duplicated, long orderViolations, long redelivered,
        String firstViolation) {
    public boolean ok() {
        return lost == 0 && duplicated == 0 && orderViolations == 0;
    }

    public String toJson() {
        try {
            return new ObjectMapper().writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}

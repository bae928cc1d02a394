/**
 * The chaos suite: a multi-process cluster on loopback whose every link passes through a
 * controllable TCP relay, a fault schedule and load plan generated from one seed, and a checker
 * that proves no acknowledged message was lost or stored twice.
 */
package io.tributary.chaos;

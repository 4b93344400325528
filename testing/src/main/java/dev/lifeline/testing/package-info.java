/**
 * Fault injection for tests and demos, in its own artifact so that production clients never
 * carry it: {@code ChaosSpec} says how to cut connections, {@code Chaos} makes a client cut its
 * own, {@code FaultProxy} cuts between two processes. Everything under {@code
 * dev.lifeline.testing.internal} may change without notice. See {@code docs/fault-injection.md}.
 */
package dev.lifeline.testing;

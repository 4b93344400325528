/**
 * Lifeline: TLS connections that survive their own failure. Start with {@code LifelineServer} and
 * {@code LifelineClient}; everything under {@code dev.lifeline.internal} may change without notice.
 */
package dev.lifeline;

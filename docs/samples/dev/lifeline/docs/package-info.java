/** Code samples quoted by the pages under {@code docs/}; compiled so they never rot. */
package dev.lifeline.docs;

package dev.lifeline.transfer;

/**
 * One complete file a server stores, as {@link FileTransferClient#list} reports it.
 *
 * @param name the file's name on the server, its path components separated by {@code /}
 * @param size its size in bytes
 * @param sha256 lowercase hex SHA-256 of the whole file
 * @param mtimeMillis its modification time, milliseconds since the epoch
 */
public record StoredFile(String name, long size, String sha256, long mtimeMillis) {}

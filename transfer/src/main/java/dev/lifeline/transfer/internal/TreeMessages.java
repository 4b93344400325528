package dev.lifeline.transfer.internal;

/**
 * The messages of tree transfers (many files in one session), beside {@link TransferDescriptor}'s
 * single-file ones; same conventions (type byte first, big endian, {@code str16}). A tree name is
 * a relative path whose components, separated by {@code /}, each obey {@link FileNames}' rules
 * ({@link FileNames#resolveTree}). Files are identified by name in every message, never by a
 * position in a list that either side might compute differently after a restart.
 *
 * <pre>
 *  listing (any session, before or instead of a transfer)
 *   LIST        0x10  str16 prefix                      client → server ("" = everything)
 *   LISTING     0x90  u32 count | count × entry         server → client, one or more
 *                     entry = u8 kind (0 file, 1 empty directory) | u64 size | u64 mtimeMillis
 *                             | sha256[32] (zero for a directory) | str16 name
 *   LIST_END    0x91  u32 total entries | u8 status (0 ok, else 1 + TransferException.Reason
 *                     ordinal) | str16 message
 *
 *  tree upload                                       owned by TreeUpload / TreeUploadReceiver
 *   TREE_FILE   0x11  client → server  (layouts and the receiver's state in TreeUploadMessages)
 *   TREE_CHUNK  0x12  client → server
 *   TREE_END    0x13  client → server
 *   SET_END     0x14  client → server
 *   FILE_DONE   0x92  server → client
 *   FILE_ERROR  0x93  server → client
 *   SET_DONE    0x94  server → client
 *   NEED        0x95  server → client
 *
 *  tree download                                     owned by TreeDownload / TreeDownloadSender
 *   GET         0x15  ... (layouts in TreeGetCodec)        client → server
 *   TREE_META 0x96, TREE_DCHUNK 0x97, TREE_FERROR 0x98, GET_END 0x99   server → client
 *   (0x9a..0x9e free)
 *
 *  PAD         0x8f  nothing                         server → client, ignored by the receiver
 * </pre>
 *
 * PAD exists for the rule in docs/protocol.md "A checkpoint that crosses a rewind": a receiver
 * whose checkpoint landed after it told an older one drops the sender's next messages up to that
 * checkpoint as covered. A sender that cannot produce the very same messages again (the download
 * senders, which answer a request from the receiver's durable offset) is told by the request the
 * first sequence number the receiver will deliver, and fills the gap up to it with PADs.
 */
final class TreeMessages {
  private TreeMessages() {}

  static final byte LIST = 0x10;
  static final byte LISTING = (byte) 0x90;
  static final byte LIST_END = (byte) 0x91;

  static final byte TREE_FILE = 0x11;
  static final byte TREE_CHUNK = 0x12;
  static final byte TREE_END = 0x13;
  static final byte SET_END = 0x14;
  /** Lowest and highest server → client message types of tree uploads. */
  static final byte UPLOAD_ANSWER_FIRST = (byte) 0x92;
  static final byte UPLOAD_ANSWER_LAST = (byte) 0x95;

  static final byte GET = 0x15;
  static final byte DOWNLOAD_ANSWER_FIRST = (byte) 0x96;
  static final byte DOWNLOAD_ANSWER_LAST = (byte) 0x9e;

  static final byte PAD = (byte) 0x8f;

  /** Entries per LISTING message at most (each at most ~4.1 KiB; messages stay well in bounds). */
  static final int LISTING_ENTRIES_PER_MESSAGE = 200;
}

package dev.lifeline.internal.session;

/**
 * The ways a session ends in this process, each deciding two things: what the peer is told on the
 * connection (if there is one), and whether the session's stored record is deleted or kept for a
 * later resume. Given to {@link SessionCore#terminate} with the code and reason of the end.
 */
public enum SessionEnd {
  /**
   * This side ends the session (its close timed out, its application failed, it expired): a CLOSE
   * tells the peer, which then closes the connection, and the record is deleted.
   */
  TELL_PEER(Notice.SEND_CLOSE, true),
  /**
   * This node's copy of a session that lives on elsewhere (another node resumed it): the peer is
   * told with a CLOSE; the record now belongs to the other node and stays.
   */
  HAND_OVER(Notice.SEND_CLOSE, false),
  /**
   * The application closed the session and its CLOSE already left: the peer closes the
   * connection, and the record is deleted.
   */
  CLOSE_SENT(Notice.CLOSE_ALREADY_SENT, true),
  /**
   * The session is over and nothing is left to say: the peer closed it or refused to resume it,
   * or the application's CLOSE could not be written. The connection closes now; the record is
   * deleted.
   */
  FINISHED(Notice.NONE, true),
  /**
   * This process gives the session up (an abort, a client that could not resume in time) without
   * telling the peer: the connection closes now and the record stays, so a later process may
   * still resume the session.
   */
  ABANDON(Notice.NONE, false);

  /** What the peer hears of the end. */
  enum Notice {
    /** Write a CLOSE, then leave the close of the connection to the peer. */
    SEND_CLOSE,
    /** This side's CLOSE is already written: leave the close of the connection to the peer. */
    CLOSE_ALREADY_SENT,
    /** Close the connection now. */
    NONE
  }

  private final Notice notice;
  private final boolean forget;

  SessionEnd(Notice notice, boolean forget) {
    this.notice = notice;
    this.forget = forget;
  }

  Notice notice() {
    return notice;
  }

  /** Whether the stored record is deleted; false keeps it for a resume by a later process. */
  boolean forget() {
    return forget;
  }
}

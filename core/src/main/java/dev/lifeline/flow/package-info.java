/**
 * {@link java.util.concurrent.Flow} adapters for a {@link dev.lifeline.Session}, so that reactive
 * libraries plug in through their standard bridges (Reactor's {@code JdkFlowAdapter}, RxJava's
 * and Akka Streams' {@code FlowAdapters} from reactive-streams) with {@code request(n)}
 * backpressure tied to the session's own bounds.
 *
 * <ul>
 *   <li>{@link dev.lifeline.flow.SessionSubscriber} sends a publisher's {@code ByteBuffer}s as
 *       messages, requesting the next one only while the replay buffer has room;
 *   <li>{@link dev.lifeline.flow.SessionPublisher} is a {@link dev.lifeline.SessionHandler} that
 *       publishes received messages ({@link dev.lifeline.flow.ReceivedMessage}) only against
 *       demand, so a slow subscriber slows the sending peer down.
 * </ul>
 *
 * <pre>{@code
 * // Sending: Reactor Flux -> session
 * SessionSubscriber sink = SessionSubscriber.of(session);
 * JdkFlowAdapter.publisherToFlowPublisher(records).subscribe(sink);
 * sink.completion().get(); // every record acknowledged by the peer
 *
 * // Receiving: session -> Reactor Flux
 * SessionPublisher inbox = new SessionPublisher();
 * Session session = client.open("orders", inbox).get();
 * JdkFlowAdapter.flowPublisherToFlux(inbox).subscribe(m -> process(m.seq(), m.payload()));
 * }</pre>
 */
package dev.lifeline.flow;

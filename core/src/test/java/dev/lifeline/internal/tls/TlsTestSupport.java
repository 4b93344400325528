package dev.lifeline.internal.tls;

import dev.lifeline.ClientTlsConfig;
import dev.lifeline.ServerTlsConfig;
import dev.lifeline.TlsProvider;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;

/** Shared helpers: the providers available here, event loops, configurations. */
final class TlsTestSupport {
  private TlsTestSupport() {
  }

  /** JDK always; OpenSSL when netty-tcnative loads on this machine. */
  static List<TlsProvider> providers() {
    List<TlsProvider> providers = new ArrayList<>();
    if (TlsProviders.openSslUsable()) {
      providers.add(TlsProvider.OPENSSL);
    }
    providers.add(TlsProvider.JDK);
    return providers;
  }

  /** Every available provider with each protocol. */
  static Stream<Arguments> providersAndProtocols() {
    return providers().stream().flatMap(
        p -> Stream.of(Arguments.of(p, "TLSv1.3"), Arguments.of(p, "TLSv1.2")));
  }

  /** Every (server provider, client provider, protocol) combination available. */
  static Stream<Arguments> serverClientProtocol() {
    List<Arguments> all = new ArrayList<>();
    for (TlsProvider server : providers()) {
      for (TlsProvider client : providers()) {
        all.add(Arguments.of(server, client, "TLSv1.3"));
        all.add(Arguments.of(server, client, "TLSv1.2"));
      }
    }
    return all.stream();
  }

  static EventLoopGroup newGroup() {
    return new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
  }

  /** Creates the development certificates so clients can be configured before a server starts. */
  static ServerTlsConfig.Builder server(Path tlsDir, TlsProvider provider) {
    try {
      DevelopmentCertificates.ensure(tlsDir);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return ServerTlsConfig.builder().developmentCertificates(tlsDir).provider(provider);
  }

  static ClientTlsConfig client(Path tlsDir, TlsProvider provider, String protocol) {
    return ClientTlsConfig.builder()
        .trustedCa(tlsDir.resolve(DevelopmentCertificates.CA_CERT))
        .provider(provider)
        .protocols(protocol)
        .build();
  }
}

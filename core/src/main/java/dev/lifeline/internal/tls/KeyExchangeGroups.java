package dev.lifeline.internal.tls;

import dev.lifeline.TlsConfigurationException;
import io.netty.handler.ssl.OpenSslContextOption;
import io.netty.handler.ssl.OpenSslSession;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;

/**
 * The TLS key-exchange groups ("curves") a configuration may name, and how each TLS provider is
 * told to use only those.
 *
 * <p>Names are those of the IANA TLS Supported Groups registry ({@code X25519MLKEM768},
 * {@code x25519}, {@code secp256r1}, ...); OpenSSL's spellings ({@code X25519}, {@code P-256},
 * {@code prime256v1}) are accepted as well, in any case, and turned into the registry name.
 *
 * <ul>
 *   <li>OpenSSL provider (BoringSSL): the list is set on the context
 *       ({@code SSL_CTX_set1_groups_list} through Netty's {@code OpenSslContextOption.GROUPS}),
 *       in the given order of preference.</li>
 *   <li>JDK provider: Java 20 and later set it on every engine
 *       ({@code SSLParameters.setNamedGroups}); Java 17 to 19 have no per-connection setting, only
 *       the JVM-wide system property {@code jdk.tls.namedGroups}. There a list is accepted only
 *       when that property already names the same groups, and refused otherwise: a setting the
 *       provider would ignore is never silently dropped.</li>
 * </ul>
 */
public final class KeyExchangeGroups {
  /** Hybrid X25519 + ML-KEM-768 (post-quantum); TLS 1.3 only. */
  public static final String X25519_MLKEM768 = "X25519MLKEM768";

  /** Registry name to OpenSSL's name (what BoringSSL is given) and further accepted spellings. */
  private static final Map<String, String[]> KNOWN = new LinkedHashMap<>();

  /** Every accepted spelling, lower case, to its registry name (also run once per handshake). */
  private static final Map<String, String> BY_SPELLING = new java.util.HashMap<>();

  static {
    KNOWN.put(X25519_MLKEM768, new String[] {"X25519MLKEM768"});
    KNOWN.put("x25519", new String[] {"X25519"});
    KNOWN.put("secp256r1", new String[] {"P-256", "prime256v1"});
    KNOWN.put("secp384r1", new String[] {"P-384"});
    KNOWN.put("secp521r1", new String[] {"P-521"});
    for (Map.Entry<String, String[]> e : KNOWN.entrySet()) {
      BY_SPELLING.put(e.getKey().toLowerCase(Locale.ROOT), e.getKey());
      for (String spelling : e.getValue()) {
        BY_SPELLING.put(spelling.toLowerCase(Locale.ROOT), e.getKey());
      }
    }
  }

  /** IANA code points of the groups a JDK peer may choose, for names read off the wire. */
  private static final Map<Integer, String> CODE_POINTS = Map.of(
      0x001d, "x25519", 0x0017, "secp256r1", 0x0018, "secp384r1", 0x0019, "secp521r1",
      0x001e, "x448", 0x11ec, X25519_MLKEM768, 0x0100, "ffdhe2048", 0x0101, "ffdhe3072",
      0x0102, "ffdhe4096");

  /** Groups that only TLS 1.3 can use (TLS 1.2's ECDHE needs an elliptic curve). */
  private static final Set<String> TLS13_ONLY = Set.of(X25519_MLKEM768);

  private static final MethodHandle SET_NAMED_GROUPS = namedGroupsHandle("setNamedGroups",
      MethodType.methodType(void.class, String[].class));
  private static final MethodHandle GET_NAMED_GROUPS = namedGroupsHandle("getNamedGroups",
      MethodType.methodType(String[].class));

  private KeyExchangeGroups() {
  }

  /** The registry names Lifeline accepts, in its order of preference. */
  public static List<String> known() {
    return List.copyOf(KNOWN.keySet());
  }

  /** The registry name for {@code name} in any accepted spelling; null when it is not known. */
  public static String canonical(String name) {
    return BY_SPELLING.get(name.trim().toLowerCase(Locale.ROOT));
  }

  /** Whether TLS 1.2 can use at least one of {@code groups} (registry names). */
  public static boolean usableWithTls12(List<String> groups) {
    return groups.stream().anyMatch(g -> !TLS13_ONLY.contains(g));
  }

  /**
   * Applies {@code groups} (registry names; empty: the provider's default) to a context being
   * built.
   *
   * @throws TlsConfigurationException when the provider cannot honour them
   */
  static void apply(SslContextBuilder builder, SslProvider provider, List<String> groups)
      throws TlsConfigurationException {
    if (groups.isEmpty()) {
      return;
    }
    if (provider != SslProvider.JDK) {
      String[] names = new String[groups.size()];
      for (int i = 0; i < names.length; i++) {
        names[i] = KNOWN.get(groups.get(i))[0];
      }
      builder.option(OpenSslContextOption.GROUPS, names);
      return;
    }
    if (SET_NAMED_GROUPS == null) {
      checkJvmWideSetting(groups);
      return;
    }
    List<String> supported = jdkSupported();
    List<String> missing = new ArrayList<>(groups);
    missing.removeAll(supported);
    if (!missing.isEmpty()) {
      throw new TlsConfigurationException("keyExchangeGroups: " + missing
          + " not supported by the JDK TLS provider of Java " + Runtime.version().feature()
          + " (it supports " + supported + "); use the OpenSSL provider or other groups");
    }
  }

  /**
   * Sets {@code groups} on one engine of the JDK provider (Java 20 and later); nothing to do for
   * OpenSSL engines (the context has them) or an empty list.
   */
  static void applyToEngine(SSLEngine engine, SslProvider provider, List<String> groups) {
    if (groups.isEmpty() || provider != SslProvider.JDK || SET_NAMED_GROUPS == null) {
      return;
    }
    SSLParameters parameters = engine.getSSLParameters();
    try {
      SET_NAMED_GROUPS.invoke(parameters, (Object) groups.toArray(new String[0]));
    } catch (Throwable e) {
      // apply() checked the names against this JDK at start; nothing else can fail here.
      throw new IllegalStateException("cannot set key-exchange groups " + groups, e);
    }
    engine.setSSLParameters(parameters);
  }

  /**
   * The group the handshake of {@code session} used for its key exchange, as a registry name
   * when known: from the OpenSSL engine, or for the JDK's, which has no API for it, the TLS 1.3
   * key_share group {@code wireGroup} read off the wire (-1 when not read). Empty for a JDK
   * TLS 1.2 handshake and when there was no key exchange (a resumed TLS 1.2 session).
   */
  static Optional<String> negotiated(SSLSession session, int wireGroup) {
    if (!(session instanceof OpenSslSession)) {
      return wireGroup < 0 ? Optional.empty()
          : Optional.of(CODE_POINTS.getOrDefault(wireGroup, String.format("0x%04x", wireGroup)));
    }
    String name = ((OpenSslSession) session).getNamedGroup();
    if (name == null || name.isEmpty()) {
      return Optional.empty();
    }
    String canonical = canonical(name);
    return Optional.of(canonical != null ? canonical : name);
  }

  /** Java 17 to 19: only the JVM-wide property can limit the JDK's groups. */
  private static void checkJvmWideSetting(List<String> groups) throws TlsConfigurationException {
    String property = System.getProperty("jdk.tls.namedGroups", "");
    List<String> jvmWide = new ArrayList<>();
    for (String name : property.split(",")) {
      if (!name.isBlank()) {
        String canonical = canonical(name);
        jvmWide.add(canonical != null ? canonical : name.trim());
      }
    }
    if (!jvmWide.equals(groups)) {
      throw new TlsConfigurationException("keyExchangeGroups " + groups
          + ": the JDK TLS provider of Java " + Runtime.version().feature()
          + " cannot limit key-exchange groups per connection (Java 20 and later can); use the "
          + "OpenSSL provider, or start the JVM with -Djdk.tls.namedGroups="
          + String.join(",", groups) + " (JVM-wide"
          + (property.isEmpty() ? "" : "; it is now '" + property + "'") + ")");
    }
  }

  private static List<String> jdkSupported() throws TlsConfigurationException {
    try {
      SSLParameters supported = SSLContext.getDefault().getSupportedSSLParameters();
      String[] names = (String[]) GET_NAMED_GROUPS.invoke(supported);
      List<String> result = new ArrayList<>();
      for (String name : names == null ? new String[0] : names) {
        String canonical = canonical(name);
        result.add(canonical != null ? canonical : name);
      }
      return result;
    } catch (Throwable e) {
      throw new TlsConfigurationException("cannot list the JDK's key-exchange groups: " + e, e);
    }
  }

  private static MethodHandle namedGroupsHandle(String name, MethodType type) {
    try {
      return MethodHandles.publicLookup().findVirtual(SSLParameters.class, name, type);
    } catch (NoSuchMethodException | IllegalAccessException e) {
      return null; // before Java 20
    }
  }
}

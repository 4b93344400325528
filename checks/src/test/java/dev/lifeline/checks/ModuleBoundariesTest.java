package dev.lifeline.checks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The boundaries between the library modules, as a {@code module-info.java} would declare them
 * (full JPMS is not used: MapDB 3.1.0 is an automatic module with split packages). A module's
 * internal packages are its own; the few another module needs are exported to that module only,
 * in {@link #EXPORTED_TO}, the way OkHttp exports its internal packages to its own artifacts. A
 * new use of another module's internals fails here until it is declared, so it is a reviewed
 * decision.
 */
class ModuleBoundariesTest {
  /** Internal packages other library modules may use, and which modules may. */
  static final Map<String, Set<LibraryModule>> EXPORTED_TO = Map.of(
      // The HTTPS side shares the server's port: its endpoint hook, its event sink, TLS facts.
      "dev.lifeline.internal.http", Set.of(LibraryModule.HTTP),
      "dev.lifeline.internal.session", Set.of(LibraryModule.HTTP, LibraryModule.TRANSFER),
      "dev.lifeline.internal.tls", Set.of(LibraryModule.HTTP),
      // The HTTPS side serves the files the transfer service stores, under the same name rules.
      "dev.lifeline.transfer.internal", Set.of(LibraryModule.HTTP),
      // Fault injection lives in lifeline-testing; core keeps only the hook it plugs into.
      "dev.lifeline.internal.faults", Set.of(LibraryModule.TESTING),
      // Every store applies the same record rules.
      "dev.lifeline.store.internal", Set.of(LibraryModule.STORE_REDIS));

  /** Types that stay out of every public signature: users must not need them to call us. */
  static final List<String> FOREIGN_PACKAGES = List.of("io.netty.", "org.mapdb.", "io.lettuce.");

  private static JavaClasses classes;

  @BeforeAll
  static void importClasses() {
    classes = LibraryModule.importAll();
  }

  @Test
  void theLibraryModulesAreAllHere() {
    for (LibraryModule m : LibraryModule.values()) {
      assertTrue(classes.stream().anyMatch(m::owns), m.directory + " has no classes on the path");
    }
  }

  @Test
  void internalPackagesAreUsedOnlyByTheirModuleAndWhereExported() {
    Set<String> violations = new TreeSet<>();
    for (InternalUse use : usesOfOtherModulesInternals()) {
      if (!use.exported()) {
        violations.add(use.origin().getName() + " (" + use.from().directory + ") uses "
            + use.target().getName() + " (internal to " + use.to().directory + ")");
      }
    }
    assertEquals(Set.of(), violations, "undeclared use of another module's internals; use its "
        + "public API or declare the export in ModuleBoundariesTest.EXPORTED_TO");
  }

  @Test
  void everyExportIsUsed() {
    Set<String> unused = new TreeSet<>(EXPORTED_TO.keySet());
    for (InternalUse use : usesOfOtherModulesInternals()) {
      if (use.exported()) {
        unused.remove(use.target().getPackageName());
      }
    }
    assertEquals(Set.of(), unused, "exports nobody uses any more: remove them");
  }

  /** A class of one library module depending on a class in another module's internals. */
  private record InternalUse(JavaClass origin, LibraryModule from, JavaClass target,
      LibraryModule to) {
    boolean exported() {
      return EXPORTED_TO.getOrDefault(target.getPackageName(), Set.of()).contains(from);
    }
  }

  private static List<InternalUse> usesOfOtherModulesInternals() {
    List<InternalUse> uses = new ArrayList<>();
    for (JavaClass origin : classes) {
      LibraryModule from = LibraryModule.of(origin);
      for (Dependency d : origin.getDirectDependenciesFromSelf()) {
        JavaClass target = d.getTargetClass().getBaseComponentType();
        LibraryModule to = LibraryModule.of(target);
        if (from != null && to != null && from != to && to.isInternal(target.getPackageName())) {
          uses.add(new InternalUse(origin, from, target, to));
        }
      }
    }
    return uses;
  }

  @Test
  void noNettyMapDbOrLettuceTypeInAPublicSignature() {
    Set<String> violations = new TreeSet<>();
    for (LibraryModule module : LibraryModule.values()) {
      ApiDump.of(module, classes).lines()
          .filter(line -> FOREIGN_PACKAGES.stream().anyMatch(line::contains))
          .forEach(line -> violations.add(module.directory + ": " + line.strip()));
    }
    assertEquals(Set.of(), violations, "public signatures that expose a dependency's types");
  }

  /**
   * The bootstraps ({@code LifelineServer}, {@code LifelineClient}) assemble the internals; an
   * internal class that reached back into them would make a cycle, as {@code HttpEndpoint} once
   * did. Internals get the narrow view they need instead.
   */
  @Test
  void internalsDoNotReachBackIntoTheBootstraps() {
    Set<String> bootstraps = Set.of("dev.lifeline.LifelineServer", "dev.lifeline.LifelineClient");
    // The one deliberate exception: the fault hook sets a client builder's fault stage on behalf
    // of lifeline-testing (the JDK's SharedSecrets pattern), so naming the builder is its job.
    Set<String> hooks = Set.of("dev.lifeline.internal.faults.FaultHook");
    Set<String> violations = new TreeSet<>();
    for (JavaClass origin : classes) {
      LibraryModule from = LibraryModule.of(origin);
      if (from != LibraryModule.CORE || !from.isInternal(origin.getPackageName())
          || hooks.contains(origin.getName())) {
        continue;
      }
      for (Dependency d : origin.getDirectDependenciesFromSelf()) {
        String target = d.getTargetClass().getBaseComponentType().getName();
        String outer = target.contains("$") ? target.substring(0, target.indexOf('$')) : target;
        if (bootstraps.contains(outer)) {
          violations.add(origin.getName() + " uses " + target);
        }
      }
    }
    assertEquals(Set.of(), violations, "internal classes that depend on a bootstrap");
  }
}

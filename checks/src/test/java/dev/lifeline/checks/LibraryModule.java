package dev.lifeline.checks;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The library modules these checks cover: where each lives, the package its public API is in
 * and the package its implementation is in. A class belongs to the module whose packages hold it.
 */
enum LibraryModule {
  STORE("store", "lifeline-store", "dev.lifeline.store.internal", "dev.lifeline.store"),
  CORE("core", "lifeline-core", "dev.lifeline.internal", "dev.lifeline", "dev.lifeline.flow"),
  STORE_REDIS("store-redis", "lifeline-store-redis", "dev.lifeline.store.redis.internal",
      "dev.lifeline.store.redis"),
  TRANSFER("transfer", "lifeline-transfer", "dev.lifeline.transfer.internal",
      "dev.lifeline.transfer"),
  HTTP("http", "lifeline-http", "dev.lifeline.http.internal", "dev.lifeline.http"),
  TESTING("testing", "lifeline-testing", "dev.lifeline.testing.internal", "dev.lifeline.testing");

  final String directory;
  final String artifactId;
  /** The packages of public API (their subpackages belong to other modules or to internal). */
  final List<String> apiPackages;
  /** The root of the implementation packages (this package and every package under it). */
  final String internalRoot;

  LibraryModule(String directory, String artifactId, String internalRoot,
      String... apiPackages) {
    this.directory = directory;
    this.artifactId = artifactId;
    this.apiPackages = List.of(apiPackages);
    this.internalRoot = internalRoot;
  }

  boolean owns(JavaClass c) {
    return isApi(c.getPackageName()) || isInternal(c.getPackageName());
  }

  boolean isApi(String packageName) {
    return apiPackages.contains(packageName);
  }

  boolean isInternal(String packageName) {
    return packageName.equals(internalRoot) || packageName.startsWith(internalRoot + ".");
  }

  /** The committed baseline of this module's public API. */
  Path apiFile() {
    return repositoryRoot().resolve(directory).resolve("api").resolve(artifactId + ".api");
  }

  static LibraryModule of(JavaClass c) {
    for (LibraryModule m : values()) {
      if (m.owns(c)) {
        return m;
      }
    }
    return null;
  }

  /**
   * The main classes of every library module (tests and this module's own classes left out),
   * imported once for all the checks in this JVM.
   */
  static synchronized JavaClasses importAll() {
    if (imported == null) {
      imported = importNow();
    }
    return imported;
  }

  private static JavaClasses imported;

  private static JavaClasses importNow() {
    return new ClassFileImporter()
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages(List.of(values()).stream().flatMap(m -> m.apiPackages.stream()).toList());
  }

  /** The checkout this build runs in: the directory above this module. */
  static Path repositoryRoot() {
    Path here = Path.of("").toAbsolutePath();
    for (Path p = here; p != null; p = p.getParent()) {
      if (Files.isRegularFile(p.resolve("checks/pom.xml"))) {
        return p;
      }
    }
    throw new IllegalStateException("no Lifeline checkout above " + here);
  }
}

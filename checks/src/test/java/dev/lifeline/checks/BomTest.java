package dev.lifeline.checks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * The BOM ({@code bom/pom.xml}, artifact {@code lifeline-bom}) manages exactly the library
 * artifacts, at the version being built: a library module added without its BOM line, or a BOM
 * left at an old version after a release bump (it has no parent to inherit the version from),
 * would let a user's build mix versions without a word.
 */
class BomTest {

  @Test
  void managesEveryLibraryArtifactAndNothingElse() throws Exception {
    Element bom = read(LibraryModule.repositoryRoot().resolve("bom/pom.xml"));
    Set<String> expected = Stream.of(LibraryModule.values())
        .map(m -> m.artifactId).collect(Collectors.toCollection(TreeSet::new));
    Set<String> managed = new TreeSet<>();
    for (Element dependency : managedDependencies(bom)) {
      String artifactId = text(dependency, "artifactId");
      assertEquals("dev.lifeline", text(dependency, "groupId"), artifactId + ": groupId");
      assertEquals("${project.version}", text(dependency, "version"), artifactId + ": version");
      assertEquals(null, text(dependency, "scope"), artifactId + ": scope (expected: none)");
      assertTrue(managed.add(artifactId), artifactId + ": listed twice");
    }
    assertEquals(expected, managed, "bom/pom.xml manages (expected: every LibraryModule)");
  }

  @Test
  void hasNoParentAndTheVersionBeingBuilt() throws Exception {
    Element root = read(LibraryModule.repositoryRoot().resolve("pom.xml"));
    Element bom = read(LibraryModule.repositoryRoot().resolve("bom/pom.xml"));
    // A parent's dependencyManagement would be imported with the BOM's and pin Netty, JUnit...
    assertEquals(null, child(bom, "parent"), "bom/pom.xml: <parent> (expected: none)");
    assertEquals(text(root, "version"), text(bom, "version"), "bom/pom.xml: version");
    assertEquals("pom", text(bom, "packaging"), "bom/pom.xml: packaging");
  }

  private static Element read(Path pom) throws Exception {
    Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(pom.toFile());
    return doc.getDocumentElement();
  }

  private static List<Element> managedDependencies(Element project) {
    Element management = child(project, "dependencyManagement");
    Element dependencies = management == null ? null : child(management, "dependencies");
    List<Element> result = new ArrayList<>();
    if (dependencies != null) {
      for (Node n = dependencies.getFirstChild(); n != null; n = n.getNextSibling()) {
        if (n instanceof Element e && e.getTagName().equals("dependency")) {
          result.add(e);
        }
      }
    }
    return result;
  }

  /** The direct child element named {@code name}, or null. */
  private static Element child(Element parent, String name) {
    for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (n instanceof Element e && e.getTagName().equals(name)) {
        return e;
      }
    }
    return null;
  }

  private static String text(Element parent, String name) {
    Element e = child(parent, name);
    return e == null ? null : e.getTextContent().trim();
  }
}

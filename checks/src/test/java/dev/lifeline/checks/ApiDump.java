package dev.lifeline.checks;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Member;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A module's public API as text, one line per type and per member, sorted: every public type of
 * its API package (nested ones too, while their enclosing types are public), with its public and
 * protected constructors, methods and fields in their generic form. Synthetic and bridge members
 * are left out; so is everything in internal packages.
 */
final class ApiDump {
  private ApiDump() {}

  static String of(LibraryModule module, JavaClasses classes) {
    List<Class<?>> types = classes.stream()
        .filter(c -> module.isApi(c.getPackageName()))
        .map(JavaClass::reflect)
        .filter(ApiDump::visible)
        .sorted(Comparator.comparing(Class::getName))
        .toList();
    StringBuilder out = new StringBuilder();
    for (Class<?> type : types) {
      out.append(header(type)).append('\n');
      for (String member : members(type)) {
        out.append("  ").append(member).append('\n');
      }
    }
    return out.toString();
  }

  /** Public, and reachable: every enclosing type public too. */
  private static boolean visible(Class<?> type) {
    for (Class<?> c = type; c != null; c = c.getEnclosingClass()) {
      if (!Modifier.isPublic(c.getModifiers()) || c.isAnonymousClass() || c.isLocalClass()
          || c.isSynthetic()) {
        return false;
      }
    }
    return true;
  }

  private static String header(Class<?> type) {
    StringBuilder h = new StringBuilder(type.toGenericString());
    Type superclass = type.getGenericSuperclass();
    if (superclass != null && superclass != Object.class && !type.isEnum() && !type.isRecord()) {
      h.append(" extends ").append(superclass.getTypeName());
    }
    Type[] interfaces = type.getGenericInterfaces();
    if (interfaces.length > 0) {
      h.append(type.isInterface() ? " extends " : " implements ").append(
          Arrays.stream(interfaces).map(Type::getTypeName).collect(Collectors.joining(", ")));
    }
    return h.toString();
  }

  private static List<String> members(Class<?> type) {
    List<String> lines = new ArrayList<>();
    String prefix = type.getTypeName() + ".";
    for (Constructor<?> c : type.getDeclaredConstructors()) {
      if (api(c)) {
        lines.add(c.toGenericString().replace(type.getTypeName() + "(", "<init>("));
      }
    }
    for (Method m : type.getDeclaredMethods()) {
      if (api(m) && !m.isBridge()) {
        lines.add(m.toGenericString().replace(prefix + m.getName() + "(", m.getName() + "("));
      }
    }
    for (Field f : type.getDeclaredFields()) {
      if (api(f)) {
        lines.add(f.toGenericString().replace(prefix + f.getName(), f.getName()));
      }
    }
    lines.sort(Comparator.naturalOrder());
    return lines;
  }

  private static boolean api(Member m) {
    int mod = m.getModifiers();
    return (Modifier.isPublic(mod) || Modifier.isProtected(mod)) && !m.isSynthetic();
  }
}

package dev.tollgate.server.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import dev.tollgate.policy.ProviderKind;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The module boundaries of DESIGN.md, held by a test: no package cycles in the server, a policy model
 * that knows no transport, providers that know no server, and provider wire details only in providers.
 */
class ArchitectureTest {

    private static JavaClasses classes;

    @BeforeAll
    static void importClasses() {
        classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.tollgate");
    }

    @Test
    void serverPackagesHaveNoCycles() {
        slices().matching("dev.tollgate.server.(*)..").should().beFreeOfCycles().check(classes);
    }

    @Test
    void policyModelKnowsNoTransport() {
        noClasses().that().resideInAPackage("dev.tollgate.policy..")
                .should().dependOnClassesThat().resideInAnyPackage("io.helidon..", "org.eclipse.jgit..", "java.net.http..",
                        "dev.tollgate.providers..", "dev.tollgate.server..")
                .check(classes);
    }

    @Test
    void providersKnowNoServer() {
        noClasses().that().resideInAPackage("dev.tollgate.providers..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.tollgate.server..", "io.helidon.webserver..")
                .check(classes);
    }

    /** A branch on a provider kind reads one of its constants: that belongs in the kind's adapter. */
    @Test
    void providerKindBranchesLiveInProviders() {
        noClasses().that().resideInAPackage("dev.tollgate.server..")
                .should().accessFieldWhere(com.tngtech.archunit.core.domain.JavaFieldAccess.Predicates.target(
                        com.tngtech.archunit.core.domain.properties.HasOwner.Predicates.With.owner(
                                com.tngtech.archunit.core.domain.JavaClass.Predicates.equivalentTo(ProviderKind.class))))
                .because("provider wire details belong to the provider's adapter in providers/")
                .check(classes);
    }
}
